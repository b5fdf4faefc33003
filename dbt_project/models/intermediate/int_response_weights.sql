{#-
    Weight of each kept questionnaire (one per enterprise and wave) by the
    zone-wave's weighting_method (int_weighting_cells): post-stratification, the
    register population of its final weighting cell divided by the cell's
    respondents (cells and collapsing: int_weighting_cells), or raking, the raked
    weight of its raking cell (raking section x size group, also given as
    calibration_section / calibration_size), which is then its weighting_cell with
    the raked cell total as cell_population (docs/methodology.md#calibration); its g-weight
    (weight / the zone-wave's design weight N/n) and the register wave used. A
    zone-wave without any register, or a cell without respondents or population,
    keeps a null weight (reported in fct_weighting_cells), never 0.
    Incremental by zone-wave (macros/zone_waves.sql).
-#}
{{ zone_wave_incremental_config() }}
{%- set to_build = zone_waves_to_build() -%}

{% if to_build == [] -%}
-- nothing to rebuild: no rows, the table's own columns
select * from {{ this }} where false
{%- else -%}
with

stamps as (

    select * from {{ ref('int_zone_wave_stamps') }}

),

responses as (

    select
        response_id,
        delivery_id,
        zone_id,
        wave_id,
        coalesce(a5_industry_section, '_unknown') as industry_section,
        coalesce(size_class, '_unknown') as size_class
    from {{ ref('int_responses_classified') }}
    where
        {{ delivery_filter('delivery_id', to_build) }}
        -- one questionnaire per enterprise and wave (macro latest_questionnaire_first)
        and questionnaire_rank = 1

),

cells as (

    select * from {{ ref('int_weighting_cells') }}
    where {{ delivery_filter('delivery_id', to_build) }}

),

cell_totals as (

    select
        cells.*,
        sum(n_population) over (partition by zone_id, wave_id, weighting_cell)
            as cell_population,
        sum(n_respondents) over (partition by zone_id, wave_id, weighting_cell)
            as cell_respondents,
        sum(n_population) over (partition by zone_id, wave_id) as zone_population,
        sum(n_respondents) over (partition by zone_id, wave_id) as zone_respondents,
        sum(n_respondents) over (partition by zone_id, wave_id, raking_section, raking_size)
            as raking_cell_respondents
    from cells

),

post_stratified as (

    select
        cell_totals.*,
        case
            when cell_totals.cell_population > 0
                then {{ safe_ratio('cell_totals.cell_population', 'cell_totals.cell_respondents') }}
        end as post_stratification_weight,
        {{ safe_ratio('cell_totals.zone_population', 'cell_totals.zone_respondents') }}
            as design_weight
    from cell_totals

),

-- raking: the weight is constant within an original (section, size) cell, which is
-- then the respondent's cell; its "population" is the raked cell total
weighted as (

    select
        post_stratified.*,
        case
            when weighting_method = 'raking' then raking_section || ':' || raking_size
            else weighting_cell
        end as method_cell,
        case
            when weighting_method = 'raking' then raking_weight * raking_cell_respondents
            else cell_population
        end as method_cell_population,
        case
            when weighting_method = 'raking' then raking_cell_respondents
            else cell_respondents
        end as method_cell_respondents,
        case
            when weighting_method = 'raking' then raking_weight
            else post_stratification_weight
        end as weight
    from post_stratified

),

final as (

    select
        responses.response_id,
        responses.zone_id,
        responses.wave_id,
        responses.delivery_id,
        {{ model_stamp('stamps.zone_wave_stamp') }} as zone_wave_stamp,
        '{{ invocation_id }}' as built_by,
        weighted.register_wave_id,
        weighted.weighting_method,
        -- the raking margins the respondent counts in (null under post-stratification)
        case when weighted.weighting_method = 'raking' then weighted.raking_section end
            as calibration_section,
        case when weighted.weighting_method = 'raking' then weighted.raking_size end
            as calibration_size,
        weighted.method_cell as weighting_cell,
        weighted.method_cell_population as cell_population,
        weighted.method_cell_respondents as cell_respondents,
        weighted.weight,
        case
            when weighted.design_weight > 0 then weighted.weight / weighted.design_weight
        end as g_weight
    from responses
    left join weighted
        on
            responses.zone_id = weighted.zone_id
            and responses.wave_id = weighted.wave_id
            and responses.industry_section = weighted.industry_section
            and responses.size_class = weighted.size_class
    inner join stamps
        on responses.delivery_id = stamps.delivery_id

)

select * from final
{%- endif %}
