-- Within each mixture recipe and phase that selected anything, the achieved domain shares add up to 1.
select recipe, phase, sum(achieved_share) as total_share
from {{ ref('mixture_composition') }}
where achieved_share is not null
group by 1, 2
having abs(sum(achieved_share) - 1) > 0.01
