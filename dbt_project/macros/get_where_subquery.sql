{#- dbt's `where` config of data tests, plus two placeholders resolved when the test
    runs: `__rows_of_this_run__` = the rows this dbt invocation wrote (macro
    rows_of_this_run in zone_waves.sql), for row-level tests of the incremental
    tables; `__waves_of_this_run__` = the rows of the waves it rebuilt (macro
    waves_of_this_run), for views over them. (Config is rendered at parse time, when the invocation is
    not known yet; this macro runs with the test.) -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = where | replace('__rows_of_this_run__', rows_of_this_run()) -%}
        {%- set where = where | replace('__waves_of_this_run__', waves_of_this_run()) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
