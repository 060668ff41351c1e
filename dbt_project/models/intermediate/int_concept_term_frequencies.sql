-- Per domain and term: the sampled documents of the domain that mention the term, beside the domain's size.
with document_terms as (

    select * from {{ ref('int_concept_document_terms') }}

),

domain_sizes as (

    select domain, count(distinct doc_id) as domain_documents
    from document_terms
    group by 1

),

term_frequencies as (

    select domain, term, count(*) as term_documents
    from document_terms
    group by 1, 2

)

select term_frequencies.*, domain_sizes.domain_documents
from term_frequencies
join domain_sizes using (domain)
