-- Documents with their text (a view: models that do not read the text never scan it).
with source as (

    select * from {{ source('lake', 'documents') }}

),

renamed as (

    select
        doc_id,
        page_id,
        crawl_file,
        url,
        host,
        fetch_date,
        language,
        language_score,
        char_count,
        word_count,
        line_count,
        extractor,
        text
    from source

)

select * from renamed
