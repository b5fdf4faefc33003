{#- The simple per-column rules of a model in one test and one scan:
    `not_null` (columns), `not_negative` (columns: counts, weights and sizes are never
    negative) and `between` ({column: {min_value, max_value}}, either bound optional,
    nulls pass). A row per rule and column that fails, with its count of failing rows.
    One test per model instead of one per column and rule: every test is a dbt node
    and a Dagster check, which cost about the same whatever they scan
    (docs/benchmarks.md, "Per-column tests folded"). The counts come from one row and
    are unpivoted through the list of rules, not by a union reading that row once per
    rule: Spark inlines a CTE at every read, which would scan the model once per rule. -#}
{% test column_rules(model, not_null=[], not_negative=[], between={}) %}
    {%- set rules = [] -%}
    {%- for column in not_null -%}
        {%- do rules.append(('not_null', column, column ~ ' is null')) -%}
    {%- endfor -%}
    {%- for column in not_negative -%}
        {%- do rules.append(('not_negative', column, column ~ ' < 0')) -%}
    {%- endfor -%}
    {%- for column, bounds in between.items() -%}
        {%- set outside = [] -%}
        {%- if bounds.min_value is defined -%}
            {%- do outside.append(column ~ ' < ' ~ bounds.min_value) -%}
        {%- endif -%}
        {%- if bounds.max_value is defined -%}
            {%- do outside.append(column ~ ' > ' ~ bounds.max_value) -%}
        {%- endif -%}
        {%- if not outside -%}
            {{ exceptions.raise_compiler_error(
                "column_rules: between " ~ column ~ " needs min_value or max_value") }}
        {%- endif -%}
        {%- do rules.append(('between', column, '(' ~ (outside | join(' or ')) ~ ')')) -%}
    {%- endfor %}

    with

    failing as (

        select
            {%- for rule in rules %}
            sum(case when {{ rule[2] }} then 1 else 0 end) as rule_{{ loop.index }}
            {{- "," if not loop.last }}
            {%- endfor %}
        from {{ model }}

    ),

    rules as (

        {%- for rule in rules %}
        select {{ loop.index }} as rule_number, '{{ rule[0] }}' as rule_name, '{{ rule[1] }}' as column_name
        {%- if not loop.last %} union all{% endif %}
        {%- endfor %}

    ),

    outcomes as (

        select
            rules.rule_name,
            rules.column_name,
            case rules.rule_number
                {%- for rule in rules %}
                when {{ loop.index }} then failing.rule_{{ loop.index }}
                {%- endfor %}
            end as failing_rows
        from rules
        cross join failing

    )

    select * from outcomes
    where failing_rows > 0
{% endtest %}
