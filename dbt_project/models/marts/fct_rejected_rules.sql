{#- Quarantined rows counted per delivery, rule and column (no values: they may identify). -#}
with

rejected as (

    select * from {{ ref('stg_survey__rejected_rows') }}

),

final as (

    select
        delivery_id,
        zone_id,
        wave_id,
        rule_id,
        column_name,
        count(distinct source_file || ':' || cast(source_row as {{ dbt.type_string() }})) as n_rows
    from rejected
    group by delivery_id, zone_id, wave_id, rule_id, column_name

)

select * from final
