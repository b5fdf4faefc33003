{#- One row per enterprise and wave (the latest loaded questionnaire when an
    enterprise answered twice in a wave), with attributes, weight and scores. -#}
with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

ranked as (

    select
        responses.*,
        row_number() over (
            partition by enterprise_key, wave_id
            order by loaded_at desc, delivery_id desc, source_file desc, source_row desc
        ) as response_rank
    from responses

),

final as (

    select
        ranked.enterprise_key,
        ranked.wave_id,
        ranked.zone_id,
        ranked.response_id,
        ranked.instrument_version,
        ranked.mode,
        ranked.a5_industry_section as industry_section,
        ranked.a6_industry_division as industry_division,
        ranked.industry_group,
        ranked.size_class,
        ranked.size_from_employee_band,
        ranked.is_manufacturer,
        weights.weight,
        weights.weighting_cell,
        scores.dii_score,
        scores.dii_items,
        scores.dii_level,
        {% for dim in dma_dimensions() %}
        scores.dma_{{ dim }},
        {% endfor %}
        scores.dma_score,
        scores.dma_level
    from ranked
    left join {{ ref('int_response_weights') }} as weights
        on ranked.response_id = weights.response_id
    left join {{ ref('int_enterprise_scores') }} as scores
        on ranked.response_id = scores.response_id
    where ranked.response_rank = 1

)

select * from final
