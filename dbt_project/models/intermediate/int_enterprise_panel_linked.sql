{#- Links between consecutive survey waves of the same enterprise_key: wave t
    and the next wave loaded anywhere (t+1 for a yearly survey). Incremental by wave
    t (macros/zone_waves.sql): a wave's links are rebuilt when wave t or the next
    wave changed. -#}
{%- set wave_columns = [['wave_from', 'wave_id'], ['wave_to', 'next_wave_id']] -%}
{{ wave_incremental_config('link_stamp', wave_columns) }}
{%- set to_build = waves_to_build('link_stamp', wave_columns) -%}
{%- set waves = none -%}
{%- set from_waves = none -%}
{%- if to_build is not none -%}
    {%- set from_waves = to_build | map(attribute='wave_id') | list -%}
    {%- set waves = [] -%}
    {%- for link in to_build -%}
        {%- do waves.append(link.wave_id) -%}
        {%- if link.next_wave_id is not none -%}
            {%- do waves.append(link.next_wave_id) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

{% if to_build == [] -%}
-- nothing to rebuild: no rows, the table's own columns
select * from {{ this }} where false
{%- else -%}
with

enterprise_waves as (

    select * from {{ ref('int_enterprise_waves') }}
    where {{ wave_filter('wave_id', waves) }}

),

waves as (

    select * from {{ ref('int_wave_stamps') }}
    where {{ wave_filter('wave_id', from_waves) }}

),

final as (

    select
        wave_from.enterprise_key,
        wave_from.wave_id as wave_from,
        wave_to.wave_id as wave_to,
        wave_from.zone_id as zone_from,
        wave_to.zone_id as zone_to,
        wave_from.dii_score as dii_score_from,
        wave_to.dii_score as dii_score_to,
        wave_from.dii_level as dii_level_from,
        wave_to.dii_level as dii_level_to,
        wave_from.dma_score as dma_score_from,
        wave_to.dma_score as dma_score_to,
        wave_from.dma_level as dma_level_from,
        wave_to.dma_level as dma_level_to,
        {{ model_stamp('waves.link_stamp') }} as link_stamp,
        '{{ invocation_id }}' as built_by
    from enterprise_waves as wave_from
    inner join waves
        on wave_from.wave_id = waves.wave_id
    inner join enterprise_waves as wave_to
        on wave_from.enterprise_key = wave_to.enterprise_key
            and waves.next_wave_id = wave_to.wave_id

)

select * from final
{%- endif %}
