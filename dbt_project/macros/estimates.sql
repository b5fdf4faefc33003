{#- Wilson score interval for a proportion p observed on n (effective) cases, z = var
    wilson_z of dbt_project.yml (1.96: 95%) unless given:
      centre = (p + z^2/2n) / (1 + z^2/n)
      half   = z * sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
    clipped to [0, 1] against rounding. Null when n is 0 or null. -#}
{% macro wilson_bound(p, n, side, z=none) -%}
    {%- set zv = var('wilson_z') if z is none else z -%}
    {#- every operand a double: Spark would otherwise compute the literal parts as
        DECIMAL, and the engines must agree to the last bit before rounding -#}
    {%- set zz = 'cast(' ~ (zv * zv) ~ ' as double)' -%}
    {%- set zd = 'cast(' ~ zv ~ ' as double)' -%}
    {%- set nd = 'cast(' ~ n ~ ' as double)' -%}
    {%- set sign = '-' if side == 'low' else '+' -%}
    case
        when {{ n }} > 0 then
            {{ 'greatest(0.0, ' if side == 'low' else 'least(1.0, ' }}
            (
                ({{ p }}) + {{ zz }} / (2.0 * {{ nd }})
                {{ sign }} {{ zd }} * sqrt(
                    ({{ p }}) * (1.0 - ({{ p }})) / {{ nd }}
                    + {{ zz }} / (4.0 * {{ nd }} * {{ nd }})
                )
            ) / (1.0 + {{ zz }} / {{ nd }}))
    end
{%- endmacro %}

{#- Ratio (a double on every engine) that is null instead of failing when the
    denominator is 0. -#}
{% macro safe_ratio(numerator, denominator) -%}
    case
        when ({{ denominator }}) > 0
            then cast({{ numerator }} as double) / cast({{ denominator }} as double)
    end
{%- endmacro %}

{#- The maturity (dma) dimensions in definitions/scoring.yaml's order, which is the
    column order of fct_enterprise_wave: the keys of the generated macro
    scoring_catalog() (`python -m orchestration.codebook.seeds`), never typed here. -#}
{% macro dma_dimensions() -%}
    {{ return(scoring_catalog()['dma'].keys() | list) }}
{%- endmacro %}

{#- Quality grade of a weighted estimate from its coefficient of variation, with
    the thresholds of dbt_project.yml (vars cv_grade_a_below, cv_grade_c_above):
    A below the first, C above the second, B in between (both ends included).
    An estimate without a CV (weighted estimate 0, CV undefined) is graded C: its
    precision cannot be judged; no weighted estimate, no grade. -#}
{% macro quality_grade(cv, estimate) -%}
    case
        when {{ estimate }} is null then null
        when {{ cv }} is null then 'C'
        when {{ cv }} < cast({{ var('cv_grade_a_below') }} as double) then 'A'
        when {{ cv }} <= cast({{ var('cv_grade_c_above') }} as double) then 'B'
        else 'C'
    end
{%- endmacro %}

{#- The zone_id of the rows pooled over all zones, as a SQL string literal: var
    pooled_zone_id of dbt_project.yml. -#}
{% macro pooled_zone_id() -%}
    '{{ var("pooled_zone_id") }}'
{%- endmacro %}
