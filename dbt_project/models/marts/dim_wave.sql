{#- Survey waves present in the data, with their instrument version. -#}
with

responses as (

    select * from {{ ref('int_enterprise_scores') }}

),

instruments as (

    select * from {{ ref('cb_instruments') }}

),

waves as (

    select
        wave_id,
        count(*) as n_responses,
        count(distinct enterprise_key) as n_enterprises,
        count(distinct zone_id) as n_zones
    from responses
    group by wave_id

),

final as (

    select
        waves.wave_id,
        instruments.instrument_version,
        waves.wave_id = instruments.first_wave as is_first_wave_of_version,
        waves.n_responses,
        waves.n_enterprises,
        waves.n_zones
    from waves
    left join instruments
        on waves.wave_id >= instruments.first_wave
            and (instruments.last_wave is null or waves.wave_id <= instruments.last_wave)

)

select * from final
