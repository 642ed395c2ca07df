-- IMG-friendliness index 0-100. Components and weights are documented in _marts__models.yml.
-- An unknown fact earns no points (never counted as a yes); index_known_weight says how much of
-- the 100 points rested on known facts.
with features as (
    select * from {{ ref('fct_program_img_features') }}
),

components as (
    select
        program_id,
        case when sponsors_j1 then 25 else 0 end as j1_points,
        case when sponsors_h1b and coalesce(requires_step3_for_h1b, false) then 5
             when sponsors_h1b then 10 else 0 end as h1b_points,
        case when img_share is not null then round(35 * img_share, 1) else 0 end as img_share_points,
        case when accepts_imgs then 10 else 0 end as accepts_points,
        case when step2ck_min is null then 0 when step2ck_min <= 225 then 5 when step2ck_min <= 235 then 3 else 1 end as step2_floor_points,
        case when max_attempts is null then 0 when max_attempts >= 2 then 5 else 1 end as attempts_points,
        case when yog_max_years is null then 0 when yog_max_years >= 5 then 5 when yog_max_years >= 3 then 3 else 1 end as yog_points,
        case when usce_required is null then 0 when not usce_required then 5 when usce_min_months >= 6 then 1 else 2 end as usce_points,
        (case when sponsors_j1 is not null then 25 else 0 end)
            + (case when sponsors_h1b is not null then 10 else 0 end)
            + (case when img_share is not null then 35 else 0 end)
            + (case when accepts_imgs is not null then 10 else 0 end)
            + (case when step2ck_min is not null then 5 else 0 end)
            + (case when max_attempts is not null then 5 else 0 end)
            + (case when yog_max_years is not null then 5 else 0 end)
            + (case when usce_required is not null then 5 else 0 end) as index_known_weight,
        accepts_imgs
    from features
),

final as (
    select
        program_id,
        j1_points,
        h1b_points,
        img_share_points,
        accepts_points,
        step2_floor_points,
        attempts_points,
        yog_points,
        usce_points,
        case when accepts_imgs is false then 0
             else least(100, j1_points + h1b_points + img_share_points + accepts_points + step2_floor_points
                              + attempts_points + yog_points + usce_points)
        end::double as img_friendliness_index,
        index_known_weight
    from components
)

select * from final
