{#- Links between consecutive survey waves of the same enterprise_key: wave t
    and the next wave loaded anywhere (t+1 for a yearly survey). Incremental by wave
    t (macros/zone_waves.sql): a wave's links are rebuilt when wave t or the next
    wave changed.

    Panel weight (docs/methodology.md, "Transitions (panel)"): the wave-t weight
    rescaled within the zone of wave t so that the linked enterprises carry the
    zone's wave-t weighted total, a non-response adjustment for attrition:
    panel_weight = w_t * (sum of w_t of the zone's wave-t respondents) / (sum of w_t
    of its linked ones). A null w_t stays null (the link counts, unweighted). Every
    figure comes from waves t and t+1 of int_enterprise_waves, so the wave-t rows
    this model rebuilds carry everything their panel weights depend on. -#}
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

links as (

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
        wave_from.weight as weight_from,
        waves.link_stamp
    from enterprise_waves as wave_from
    inner join waves
        on wave_from.wave_id = waves.wave_id
    inner join enterprise_waves as wave_to
        on wave_from.enterprise_key = wave_to.enterprise_key
            and waves.next_wave_id = wave_to.wave_id

),

-- the zone-wave's weighted total over all its wave-t respondents (linked or not):
-- the register total the weights are post-stratified to, N_h of the design
zone_totals as (

    select
        zone_id,
        wave_id,
        sum(weight) as zone_weight_total
    from enterprise_waves
    where weight is not null
    group by zone_id, wave_id

),

-- the same total over the linked enterprises only, and how many carry a weight
-- (the panel's stratum sample size n_h)
linked_totals as (

    select
        zone_from,
        wave_from,
        sum(weight_from) as linked_weight_total,
        count(weight_from) as panel_stratum_n
    from links
    group by zone_from, wave_from

),

final as (

    select
        links.enterprise_key,
        links.wave_from,
        links.wave_to,
        links.zone_from,
        links.zone_to,
        links.dii_score_from,
        links.dii_score_to,
        links.dii_level_from,
        links.dii_level_to,
        links.dma_score_from,
        links.dma_score_to,
        links.dma_level_from,
        links.dma_level_to,
        links.weight_from,
        links.weight_from
        * {{ safe_ratio('zone_totals.zone_weight_total', 'linked_totals.linked_weight_total') }}
            as panel_weight,
        zone_totals.zone_weight_total as panel_stratum_population,
        cast(linked_totals.panel_stratum_n as bigint) as panel_stratum_n,
        {{ model_stamp('links.link_stamp') }} as link_stamp,
        '{{ invocation_id }}' as built_by
    from links
    inner join linked_totals
        on links.zone_from = linked_totals.zone_from
            and links.wave_from = linked_totals.wave_from
    left join zone_totals
        on links.zone_from = zone_totals.zone_id
            and links.wave_from = zone_totals.wave_id

)

select * from final
{%- endif %}
