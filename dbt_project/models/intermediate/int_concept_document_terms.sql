-- The distinct terms of each rated document in the concept language, over a deterministic sample of at most
-- `concept_documents_per_domain` documents per domain (ordered by a hash of doc_id), stopwords left out.
with ratings as (

    select doc_id, domain from {{ ref('stg_quality_ratings') }}

),

documents as (

    select doc_id, language, text from {{ ref('stg_documents') }}

),

stopwords as (

    select word from {{ ref('stopwords') }}

),

sampled as (

    select ratings.doc_id, ratings.domain, documents.text
    from ratings
    join documents using (doc_id)
    where documents.language = '{{ var("concept_language") }}'
    qualify row_number() over (partition by ratings.domain order by hash(ratings.doc_id))
        <= {{ var('concept_documents_per_domain') }}

),

terms as (

    select distinct doc_id, domain, unnest(regexp_extract_all(lower(text), '[a-z][a-z]+')) as term
    from sampled

),

content_terms as (

    select terms.*
    from terms
    anti join stopwords on terms.term = stopwords.word
    where length(terms.term) >= 3

)

select * from content_terms
