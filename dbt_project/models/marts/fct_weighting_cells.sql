{#-
    Weighting diagnostics: one row per wave x zone x final weighting cell, from
    int_weighting_cells (rules there and in _marts__models.yml). A plain table,
    rebuilt whole each run: it reads only int_weighting_cells, which has one row
    per register/respondent cell (tens per zone-wave, not per response), so a
    rebuild costs next to nothing and an incremental stamp would buy nothing.
-#}
with

cells as (

    select * from {{ ref('int_weighting_cells') }}

),

by_cell as (

    select
        wave_id,
        zone_id,
        weighting_cell,
        max(register_wave_id) as register_wave_id,
        {{ sorted_list_agg("industry_section || ':' || size_class") }} as original_cells,
        count(*) as n_original_cells,
        sum(n_respondents) as n_respondents,
        sum(n_population) as n_population,
        {{ sorted_list_agg('collapse_reason') }} as collapse_reasons,
        -- one per zone-wave
        max(weighting_method) as weighting_method,
        max(raking_outcome) as raking_outcome,
        max(raking_max_margin_error) as raking_max_margin_error
    from cells
    group by wave_id, zone_id, weighting_cell

),

by_zone_wave as (

    select
        by_cell.*,
        sum(n_respondents) over (partition by wave_id, zone_id) as zone_respondents,
        sum(n_population) over (partition by wave_id, zone_id) as zone_population
    from by_cell

),

weighted as (

    select
        by_zone_wave.*,
        case
            when n_population > 0 then {{ safe_ratio('n_population', 'n_respondents') }}
        end as weight,
        case
            when zone_population > 0
                then {{ safe_ratio('zone_population', 'zone_respondents') }}
        end as design_weight
    from by_zone_wave

),

g_weights as (

    select
        weighted.*,
        case when design_weight > 0 then weight / design_weight end as g_weight
    from weighted

),

final as (

    select
        wave_id,
        zone_id,
        weighting_cell,
        register_wave_id,
        register_wave_id is not null as has_register,
        coalesce(register_wave_id < wave_id, false) as register_is_older,
        original_cells,
        cast(n_original_cells as bigint) as n_original_cells,
        cast(n_respondents as bigint) as n_respondents,
        cast(n_population as bigint) as n_population,
        {{ round_double('weight', 6) }} as weight,
        {{ round_double('design_weight', 6) }} as design_weight,
        {{ round_double('g_weight', 6) }} as g_weight,
        {{ round_double('min(g_weight) over (partition by wave_id, zone_id)', 6) }}
            as zone_g_weight_min,
        {{ round_double('max(g_weight) over (partition by wave_id, zone_id)', 6) }}
            as zone_g_weight_max,
        (n_original_cells > 1 or collapse_reasons not in ('none', 'no_register')) as is_collapsed,
        collapse_reasons,
        weight is not null as is_weighted,
        weighting_method,
        raking_outcome,
        raking_max_margin_error,
        n_respondents < {{ var('min_cell_respondents') }} as below_min_respondents
    from g_weights

)

select * from final
