-- Why records were set aside, per crawl partition and reason, with the first offset to look at.
with quarantine as (

    select * from {{ ref('stg_quarantine') }}

),

reasons as (

    select
        crawl_file,
        reason,
        count(*) as records,
        min(record_offset) as first_offset,
        any_value(detail) as example_detail
    from quarantine
    group by 1, 2

)

select * from reasons
