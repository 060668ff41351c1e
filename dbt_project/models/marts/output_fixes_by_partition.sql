with fixes as (

    select * from {{ ref('stg_document_output_fixes') }}

),

per_partition as (

    select
        crawl_file,
        count(*) as documents,
        count(*) filter (where emails > 0) as documents_with_emails,
        count(*) filter (where ipv4 + ipv6 > 0) as documents_with_ips,
        coalesce(sum(emails), 0) as emails,
        coalesce(sum(ipv4), 0) as ipv4,
        coalesce(sum(ipv6), 0) as ipv6,
        count(*) filter (where mojibake_fixed) as documents_mojibake_fixed,
        count(*) filter (where table_lines > 0) as documents_with_table_lines,
        coalesce(sum(table_lines), 0) as table_lines,
        count(*) filter (
            where mojibake_fixed or emails + ipv4 + ipv6 + table_lines > 0
        ) as documents_changed,
        coalesce(sum(chars_after - chars_before), 0) as chars_delta
    from fixes
    group by crawl_file

),

final as (

    select
        *,
        round(documents_changed / nullif(documents, 0), 4) as changed_share
    from per_partition

)

select * from final
