with source as (

    select * from {{ source('lake', 'quality_ratings') }}

),

renamed as (

    select
        doc_id,
        {% for criterion in var('rating_criteria') %}{{ criterion }},
        {% endfor %}overall_score_expected,
        domain,
        domain_probability,
        fasttext_quality,
        rater_version,
        classifier_version
    from source

)

select * from renamed
