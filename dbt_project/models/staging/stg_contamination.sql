with source as (

    select * from {{ source('lake', 'contamination') }}

),

renamed as (

    select
        doc_id,
        crawl_file,
        benchmark,
        benchmark_version,
        matched_ngrams,
        longest_span_words,
        first_item,
        first_position
    from source

)

select * from renamed
