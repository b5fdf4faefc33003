{#- The zone-wave incremental models drop duplicates within a delivery only
    (macro latest_questionnaire_first): correct because the quality gate never
    loads one enterprise in two zones of a wave (uscc.other_zone). Fails the build
    if rows ever break that guarantee, rather than count an enterprise twice.
    Reads int_enterprise_scores (the kept questionnaires, enterprise_key stored)
    rather than the staged responses' views, which would recompute every keyed hash. -#}
select
    enterprise_key,
    wave_id,
    count(distinct zone_id) as n_zones
from {{ ref('int_enterprise_scores') }}
where enterprise_key is not null
group by enterprise_key, wave_id
having count(distinct zone_id) > 1
