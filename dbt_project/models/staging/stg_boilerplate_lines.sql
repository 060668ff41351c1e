with source as (

    select * from {{ source('lake', 'boilerplate_lines') }}

),

renamed as (

    select
        scope,
        host,
        line_hash,
        documents,
        min_documents,
        example_doc_id,
        example
    from source

)

select * from renamed
