{#- No two rows share the same values of `combination_of_columns`. With
    `this_run_only: true` (zone-wave incremental tables) only the rows this dbt
    invocation wrote are checked (macro rows_of_this_run): a zone-wave's rows are
    replaced as a whole, so they cannot collide with rows of another zone-wave
    (whose keys carry their zone-wave); --vars '{"test_all_rows": true}' checks all. -#}
{% test unique_combination_of_columns(model, combination_of_columns, this_run_only=false) %}
    {%- set columns = combination_of_columns | join(', ') -%}
    select {{ columns }}, count(*) as n_rows
    from {{ model }}
    {% if this_run_only %}where {{ rows_of_this_run() }}{% endif %}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
