-- Mean and distribution of every DataMan criterion per domain (the rater's domain label).
with ratings as (

    select * from {{ ref('stg_quality_ratings') }}

),

long as (

    unpivot (select domain, {{ var('rating_criteria') | join(', ') }} from ratings)
    on {{ var('rating_criteria') | join(', ') }}
    into name criterion value score

),

per_domain as (

    select
        domain,
        criterion,
        count(*) as documents,
        round(avg(score), 3) as mean_score,
        round(stddev_samp(score), 3) as stddev_score,
        median(score) as median_score,
        {% for score in range(1, 6) %}count(*) filter (where score = {{ score }}) as score_{{ score }},
        {% endfor %}round(count(*) filter (where score >= 4) / count(*), 4) as share_4_or_5
    from long
    group by 1, 2

)

select * from per_domain
