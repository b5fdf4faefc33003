{#- Development zones: reference attributes, distance to the nearest tech hub
    (haversine, earth radius 6371 km), and the waves each zone answered in.
    Zones in the data without a reference row appear with null attributes. -#}
with

reference_zones as (

    select * from {{ ref('ref_zones') }}

),

hubs as (

    select * from {{ ref('ref_tech_hubs') }}

),

zones_in_data as (

    select
        zone_id,
        min(wave_id) as first_wave,
        max(wave_id) as last_wave,
        count(distinct wave_id) as n_waves
    from {{ ref('int_enterprise_scores') }}
    group by zone_id

),

distances as (

    select
        reference_zones.zone_id,
        hubs.hub_id,
        hubs.hub_name_en,
        2 * 6371.0 * asin(sqrt(
            power(sin(radians(hubs.latitude - reference_zones.latitude) / 2), 2)
            + cos(radians(reference_zones.latitude)) * cos(radians(hubs.latitude))
            * power(sin(radians(hubs.longitude - reference_zones.longitude) / 2), 2)
        )) as distance_km
    from reference_zones
    cross join hubs

),

nearest as (

    select
        zone_id,
        hub_id,
        hub_name_en,
        distance_km,
        row_number() over (partition by zone_id order by distance_km, hub_id) as hub_rank
    from distances

),

final as (

    select
        coalesce(reference_zones.zone_id, zones_in_data.zone_id) as zone_id,
        reference_zones.zone_name_zh,
        reference_zones.zone_name_en,
        reference_zones.province_zh,
        reference_zones.province_en,
        reference_zones.city_en,
        reference_zones.latitude,
        reference_zones.longitude,
        reference_zones.admin_division,
        nearest.hub_id as nearest_hub_id,
        nearest.hub_name_en as nearest_hub_name_en,
        {{ round_double('nearest.distance_km', 1) }} as distance_km,
        case
            when nearest.distance_km > {{ var('hub_far_km') }} then 'far'
            when nearest.distance_km is not null then 'near'
        end as hub_distance_group,
        reference_zones.zone_id is not null as has_reference,
        zones_in_data.first_wave,
        zones_in_data.last_wave,
        coalesce(zones_in_data.n_waves, 0) as n_waves
    from reference_zones
    full outer join zones_in_data
        on reference_zones.zone_id = zones_in_data.zone_id
    left join nearest
        on reference_zones.zone_id = nearest.zone_id
            and nearest.hub_rank = 1

)

select * from final
