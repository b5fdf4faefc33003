{#- How enterprises seen in consecutive waves moved between levels: counts per
    zone (of wave t; ALL = every zone) x wave pair x measure x level t x level t+1. -#}
with

links as (

    select * from {{ ref('int_enterprise_panel_linked') }}

),

levels as (

    select * from {{ ref('scoring_levels') }}

),

by_measure as (

    select
        zone_from as zone_id,
        wave_from,
        wave_to,
        'dma' as measure,
        dma_level_from as level_from,
        dma_level_to as level_to
    from links
    union all
    select
        zone_from as zone_id,
        wave_from,
        wave_to,
        'dii' as measure,
        dii_level_from as level_from,
        dii_level_to as level_to
    from links

),

by_zone as (

    select
        zone_id,
        wave_from,
        wave_to,
        measure,
        level_from,
        level_to,
        count(*) as n_enterprises
    from by_measure
    group by zone_id, wave_from, wave_to, measure, level_from, level_to

),

counted as (

    select * from by_zone
    union all
    select
        'ALL' as zone_id,
        wave_from,
        wave_to,
        measure,
        level_from,
        level_to,
        sum(n_enterprises) as n_enterprises
    from by_zone
    group by wave_from, wave_to, measure, level_from, level_to

),

final as (

    select
        counted.zone_id,
        counted.wave_from,
        counted.wave_to,
        counted.measure,
        counted.level_from,
        counted.level_to,
        from_levels.level_rank as level_from_rank,
        to_levels.level_rank as level_to_rank,
        case
            when to_levels.level_rank > from_levels.level_rank then 'up'
            when to_levels.level_rank < from_levels.level_rank then 'down'
            else 'same'
        end as movement,
        counted.n_enterprises,
        {{ round_double(
            'cast(counted.n_enterprises as double) / sum(counted.n_enterprises) over (
                partition by
                    counted.zone_id, counted.wave_from, counted.wave_to,
                    counted.measure, counted.level_from
            )',
            6
        ) }} as share_of_level_from
    from counted
    left join levels as from_levels
        on counted.measure = from_levels.measure
            and counted.level_from = from_levels.level
    left join levels as to_levels
        on counted.measure = to_levels.measure
            and counted.level_to = to_levels.level

)

select * from final
