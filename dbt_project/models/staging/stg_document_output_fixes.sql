with source as (

    select * from {{ source('lake', 'document_output_fixes') }}

),

renamed as (

    select
        doc_id,
        crawl_file,
        mojibake_fixed,
        emails,
        ipv4,
        ipv6,
        table_lines,
        chars_before,
        chars_after
    from source

)

select * from renamed
