{#- One row per enterprise and wave (the latest loaded questionnaire when an
    enterprise answered twice in a wave, in any zone), with attributes, weight and
    scores. Reads the per-response tables only (no staged microdata). -#}
with

scores as (

    select * from {{ ref('int_enterprise_scores') }}

),

weights as (

    select * from {{ ref('int_response_weights') }}

),

ranked as (

    select
        scores.*,
        row_number() over (
            partition by scores.enterprise_key, scores.wave_id
            -- the one duplicate rule; within a delivery staging applied it already,
            -- across zones the gate forbids duplicates: this is a safety net
            order by {{ latest_questionnaire_first('scores') }}
        ) as response_rank
    from scores

),

final as (

    select
        ranked.enterprise_key,
        ranked.wave_id,
        ranked.zone_id,
        ranked.response_id,
        ranked.instrument_version,
        ranked.mode,
        ranked.industry_section,
        ranked.industry_division,
        ranked.industry_group,
        ranked.size_class,
        ranked.size_from_employee_band,
        ranked.is_manufacturer,
        weights.weight,
        weights.weighting_cell,
        weights.g_weight,
        weights.register_wave_id,
        ranked.dii_score,
        ranked.dii_items,
        ranked.dii_level,
        {% for dim in dma_dimensions() %}
        ranked.dma_{{ dim }},
        {% endfor %}
        ranked.dma_score,
        ranked.dma_level
    from ranked
    left join weights
        on ranked.response_id = weights.response_id
    where ranked.response_rank = 1

)

select * from final
