{{ config(materialized='view') }}
{#- fct_indicator_estimates as analysts may see it: every estimate and interval
    of a suppressed cell is null (counts stay, they define the suppression). -#}
{%- set masked = [
    'estimate', 'ci_low', 'ci_high',
    'weighted_estimate', 'weighted_ci_low', 'weighted_ci_high', 'n_effective',
] -%}
with

estimates as (

    select * from {{ ref('fct_indicator_estimates') }}

),

final as (

    select
        wave_id,
        zone_id,
        domain,
        domain_type,
        indicator_id,
        n_base,
        n_yes,
        weighted_n_base,
        {% for col in masked %}
        case when suppressed then null else {{ col }} end as {{ col }},
        {% endfor %}
        suppressed
    from estimates

)

select * from final
