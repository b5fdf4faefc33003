{#- dbt's `where` config of data tests, plus one placeholder resolved when the test
    runs: `__rows_of_this_run__` = the rows this dbt invocation wrote (macro
    rows_of_this_run in zone_waves.sql), for row-level tests of the zone-wave
    incremental tables. (Config is rendered at parse time, when the invocation is
    not known yet; this macro runs with the test.) -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = where | replace('__rows_of_this_run__', rows_of_this_run()) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
