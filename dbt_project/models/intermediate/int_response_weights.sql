{#-
    Post-stratification weight of each response: the zone register's population
    of the response's weighting cell divided by the cell's respondents. Cells are
    industry section x size class of the zone-wave; thin cells (fewer than
    `min_cell_respondents` respondents, including register cells nobody answered
    from) are collapsed (rule documented in _intermediate__models.yml).
-#}
{{ zone_wave_incremental_config() }}
{%- set min_n = var('min_cell_respondents') -%}
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
    from {{ ref('stg_survey__responses') }}
    where {{ delivery_filter('delivery_id', to_build) }}

),

register as (

    select * from {{ ref('stg_survey__zone_register') }}

),

zone_waves as (

    select distinct
        zone_id,
        wave_id
    from responses

),

-- the register of the same wave, else the zone's latest earlier one
register_choice as (

    select
        zone_waves.zone_id,
        zone_waves.wave_id,
        max(register.wave_id) as register_wave_id
    from zone_waves
    inner join register
        on zone_waves.zone_id = register.zone_id
            and zone_waves.wave_id >= register.wave_id
    group by zone_waves.zone_id, zone_waves.wave_id

),

population as (

    select
        register_choice.zone_id,
        register_choice.wave_id,
        register.industry_section,
        register.size_class,
        register.n_enterprises
    from register_choice
    inner join register
        on register_choice.zone_id = register.zone_id
            and register_choice.register_wave_id = register.wave_id

),

sample as (

    select
        zone_id,
        wave_id,
        industry_section,
        size_class,
        count(*) as n_respondents
    from responses
    group by zone_id, wave_id, industry_section, size_class

),

cells as (

    select
        coalesce(population.zone_id, sample.zone_id) as zone_id,
        coalesce(population.wave_id, sample.wave_id) as wave_id,
        coalesce(population.industry_section, sample.industry_section) as industry_section,
        coalesce(population.size_class, sample.size_class) as size_class,
        coalesce(population.n_enterprises, 0) as n_population,
        coalesce(sample.n_respondents, 0) as n_respondents
    from population
    full outer join sample
        on population.zone_id = sample.zone_id
            and population.wave_id = sample.wave_id
            and population.industry_section = sample.industry_section
            and population.size_class = sample.size_class
    -- zone-waves without any register get no weights
    inner join register_choice
        on coalesce(population.zone_id, sample.zone_id) = register_choice.zone_id
            and coalesce(population.wave_id, sample.wave_id) = register_choice.wave_id

),

banded as (

    select
        cells.*,
        case
            when size_classes.class_rank <= 2 then 'micro_small'
            else 'medium_large'
        end as size_band
    from cells
    left join {{ ref('cb_size_classes') }} as size_classes
        on cells.size_class = size_classes.size_class

),

band_counts as (

    select
        banded.*,
        sum(n_respondents) over (
            partition by zone_id, wave_id, industry_section, size_band
        ) as n_band,
        min(n_respondents) over (
            partition by zone_id, wave_id, industry_section, size_band
        ) as min_n_in_band,
        sum(n_respondents) over (partition by zone_id, wave_id, industry_section) as n_section
    from banded

),

section_counts as (

    select
        band_counts.*,
        min(n_band) over (partition by zone_id, wave_id, industry_section) as min_n_band
    from band_counts

),

collapsed as (

    select
        zone_id,
        wave_id,
        industry_section,
        size_class,
        n_population,
        n_respondents,
        case
            when n_section < {{ min_n }} then '_pooled'
            when min_n_band < {{ min_n }} then industry_section
            when min_n_in_band < {{ min_n }} then industry_section || ':' || size_band
            else industry_section || ':' || size_class
        end as weighting_cell
    from section_counts

),

pool_counts as (

    select
        collapsed.*,
        sum(case when weighting_cell = '_pooled' then n_respondents else 0 end)
            over (partition by zone_id, wave_id)
            as n_pooled
    from collapsed

),

largest_cell as (

    select
        zone_id,
        wave_id,
        weighting_cell,
        row_number() over (
            partition by zone_id, wave_id
            order by sum(n_respondents) desc, weighting_cell
        ) as size_order
    from pool_counts
    where weighting_cell != '_pooled'
    group by zone_id, wave_id, weighting_cell

),

final_cells as (

    select
        pool_counts.zone_id,
        pool_counts.wave_id,
        pool_counts.industry_section,
        pool_counts.size_class,
        pool_counts.n_population,
        pool_counts.n_respondents,
        case
            when pool_counts.weighting_cell = '_pooled'
                and pool_counts.n_pooled < {{ min_n }}
                and largest_cell.weighting_cell is not null
                then largest_cell.weighting_cell
            else pool_counts.weighting_cell
        end as weighting_cell
    from pool_counts
    left join largest_cell
        on pool_counts.zone_id = largest_cell.zone_id
            and pool_counts.wave_id = largest_cell.wave_id
            and largest_cell.size_order = 1

),

cell_totals as (

    select
        final_cells.*,
        sum(n_population) over (partition by zone_id, wave_id, weighting_cell)
            as cell_population,
        sum(n_respondents) over (partition by zone_id, wave_id, weighting_cell)
            as cell_respondents
    from final_cells

),

final as (

    select
        responses.response_id,
        responses.zone_id,
        responses.wave_id,
        responses.delivery_id,
        {{ model_stamp('stamps.zone_wave_stamp') }} as zone_wave_stamp,
        '{{ invocation_id }}' as built_by,
        cell_totals.weighting_cell,
        cell_totals.cell_population,
        cell_totals.cell_respondents,
        {{ safe_ratio('cell_totals.cell_population', 'cell_totals.cell_respondents') }} as weight
    from responses
    left join cell_totals
        on responses.zone_id = cell_totals.zone_id
            and responses.wave_id = cell_totals.wave_id
            and responses.industry_section = cell_totals.industry_section
            and responses.size_class = cell_totals.size_class
    inner join stamps
        on responses.delivery_id = stamps.delivery_id

)

select * from final
{%- endif %}
