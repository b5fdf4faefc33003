{#-
    Indicator rules as SQL over the wide columns of stg_survey__responses, from the
    generated catalog (macros/generated/indicator_catalog.sql, itself generated from
    the seeds indicators / indicator_terms: the one definition). A response "has"
    (item, code) when the single/band column holds the code, the multi option's
    boolean column is true, a v2022 answer's crosswalk maps onto it, or a derived
    attribute (employees_lt50, revenue_lt20m, industry_group, size_class) says so.
    Every expression is true or false, never null.
-#}

{% macro indicator_condition(cond, relation='') -%}
    {%- set col = (relation ~ '.' if relation else '') ~ cond.column -%}
    {%- if cond.flag is defined and cond.flag -%}
        {%- set test = 'coalesce(' ~ col ~ ', false)' -%}
    {%- elif cond['is'] is defined -%}
        {%- set test = 'coalesce(' ~ ('' if cond['is'] else 'not ') ~ col ~ ', false)' -%}
    {%- else -%}
        {%- set codes = [] -%}
        {%- for code in cond.codes -%}{%- do codes.append("'" ~ code ~ "'") -%}{%- endfor -%}
        {%- set test = 'coalesce(' ~ col ~ ' in (' ~ codes | join(', ') ~ '), false)' -%}
        {%- if test | length > 70 -%}
            {%- set test = 'coalesce(\n' ~ ' ' * 16 ~ col ~ ' in (' ~ codes | join(', ') ~ '),\n' ~ ' ' * 16 ~ 'false\n' ~ ' ' * 12 ~ ')' -%}
        {%- endif -%}
    {%- endif -%}
    {%- if cond.version -%}
        {%- set version_col = (relation ~ '.' if relation else '') ~ 'instrument_version' -%}
        ({{ version_col }} = '{{ cond.version }}' and {{ test }})
    {%- else -%}
        {{ test }}
    {%- endif -%}
{%- endmacro %}

{% macro indicator_any(conditions, relation='', indent=12) -%}
    {%- if conditions | length == 0 -%}
        false
    {%- else -%}
        {%- set parts = [] -%}
        {%- for cond in conditions -%}
            {%- do parts.append(indicator_condition(cond, relation)) -%}
        {%- endfor -%}
        {{- '(' ~ parts | join('\n' ~ ' ' * indent ~ 'or ') ~ ')' -}}
    {%- endif -%}
{%- endmacro %}

{#- The response's wave is within the indicator's first_wave..last_wave. -#}
{% macro indicator_in_waves(indicator, relation='') -%}
    {%- set wave = (relation ~ '.' if relation else '') ~ 'wave_id' -%}
    {{ wave }} >= {{ indicator.first_wave }}
    {%- if indicator.last_wave is not none %} and {{ wave }} <= {{ indicator.last_wave }}{% endif %}
{%- endmacro %}

{#- in_base: within the indicator's waves and in its base population (a boolean
    SQL expression laid out over several lines, to be placed at an indent of 8). -#}
{% macro indicator_in_base(indicator, relation='') -%}
    {%- if indicator.base is none -%}
        ({{ indicator_in_waves(indicator, relation) }})
    {%- else -%}
        (
            {{ indicator_in_waves(indicator, relation) }}
            and {{ indicator_any(indicator.base, relation) }}
        )
    {%- endif -%}
{%- endmacro %}

{#- The numerator alone: any of its terms holds (match any), or none does. is_yes
    is in_base and numerator. -#}
{% macro indicator_numerator(indicator, relation='') -%}
    {{ 'not ' if indicator.numerator_match == 'none' }}{{ indicator_any(indicator.numerator, relation, indent=8) }}
{%- endmacro %}

{#- Mean of the non-null score_<dimension> columns (null when all are null), the
    same as avg() over the dimensions that apply. -#}
{% macro dma_mean(dimensions) -%}
    {%- set sums = [] -%}
    {%- set counts = [] -%}
    {%- for dim in dimensions -%}
        {%- do sums.append('coalesce(score_' ~ dim ~ ', 0.0)') -%}
        {%- do counts.append('case when score_' ~ dim ~ ' is not null then 1 else 0 end') -%}
    {%- endfor -%}
    {{ safe_ratio(sums | join('\n' ~ ' ' * 12 ~ '+ '), counts | join('\n' ~ ' ' * 12 ~ '+ ')) }}
{%- endmacro %}

{#- The catalog entries (macro indicator_catalog) by id. -#}
{% macro catalog_by_id(catalog) -%}
    {%- set out = {} -%}
    {%- for indicator in catalog -%}
        {%- do out.update({indicator.id: indicator}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- Every indicator the scoring rules (macro scoring_catalog) use, once, in order. -#}
{% macro scoring_indicator_ids(scoring) -%}
    {%- set used = [] -%}
    {%- for dims in scoring.values() -%}
        {%- for ids in dims.values() -%}
            {%- for id in ids if id not in used -%}{%- do used.append(id) -%}{%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(used) }}
{%- endmacro %}
