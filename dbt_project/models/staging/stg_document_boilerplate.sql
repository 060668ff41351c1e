with source as (

    select * from {{ source('lake', 'document_boilerplate') }}

),

renamed as (

    select
        doc_id,
        crawl_file,
        host,
        lines,
        boilerplate_lines,
        host_boilerplate_lines,
        corpus_boilerplate_lines,
        boilerplate_chars,
        boilerplate_words,
        line_numbers
    from source

)

select * from renamed
