{#- One row per responding enterprise and wave: pseudonymous key, where and
    what it is, its weight, and its digital intensity and maturity scores. -#}
{{ config(materialized="table" if target.type == "spark" else "view") }}

with

enterprise_waves as (

    select * from {{ ref('int_enterprise_waves') }}

),

final as (

    select
        enterprise_key,
        wave_id,
        zone_id,
        instrument_version,
        mode,
        industry_section,
        industry_division,
        industry_group,
        size_class,
        size_from_employee_band,
        is_manufacturer,
        weight,
        weighting_cell,
        g_weight,
        register_wave_id,
        dii_score,
        dii_items,
        dii_level,
        {% for dim in dma_dimensions() %}
        dma_{{ dim }},
        {% endfor %}
        dma_score,
        dma_level
    from enterprise_waves

)

select * from final
