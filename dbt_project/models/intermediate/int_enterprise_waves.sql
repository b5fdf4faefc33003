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
            order by
                scores.loaded_at desc, scores.delivery_id desc,
                scores.source_file desc, scores.source_row desc
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
