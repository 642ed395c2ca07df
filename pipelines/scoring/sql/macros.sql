-- P(match | Step 2 CK = s): the published matched / not-matched distributions as normals with ONE pooled
-- SD (a linear discriminant), the published match rate as the prior. The posterior is then a logistic
-- function of s, rising when matched IMGs scored higher on average, flat (the rate) when they did not.
-- The bounds move the prior by 1.96 binomial SEs (n = IMGs behind the rate) and the slope by 1.96 SEs of
-- the difference of means (n matched, n not matched), each in the direction that lowers / raises the chance.
create or replace macro smartpick_logit(p) as ln(least(greatest(p, 0.001), 0.999) / (1 - least(greatest(p, 0.001), 0.999)));
create or replace macro smartpick_sigmoid(x) as 1 / (1 + exp(-x));
create or replace macro smartpick_slope(m_mean, n_mean, sd) as
    case when m_mean is null or n_mean is null or sd is null or sd = 0 or m_mean <= n_mean then 0
         else (m_mean - n_mean) / pow(sd, 2) end;
create or replace macro smartpick_chance(score, rate, m_mean, n_mean, sd) as
    case when score is null then rate
         else smartpick_sigmoid(smartpick_logit(rate) + smartpick_slope(m_mean, n_mean, sd) * (score - (m_mean + n_mean) / 2)) end;
create or replace macro smartpick_chance_bound(score, rate, n_rate, m_mean, n_mean, sd, n_m, n_n, z) as
    smartpick_sigmoid(
        smartpick_logit(rate + z * sqrt(rate * (1 - rate) / greatest(coalesce(n_rate, 1), 1)))
        + case when score is null or smartpick_slope(m_mean, n_mean, sd) = 0 then 0
               else greatest(0, smartpick_slope(m_mean, n_mean, sd)
                                + z * sign(score - (m_mean + n_mean) / 2)
                                    * coalesce(sqrt(1.0 / n_m + 1.0 / n_n) / sd, 0))
                    * (score - (m_mean + n_mean) / 2) end);
-- Tiers from the count of signals for and against (gates.SIGNALS), a judgement call: safety when enough
-- count for and none against, target when more count for than against, else reach. One more signal for,
-- or one fewer against, never lowers a tier (tests/scoring/test_tiers.py).
create or replace macro smartpick_tier(ups, downs, safety_ups) as
    case when ups >= safety_ups and downs = 0 then 'safety' when ups - downs >= 1 then 'target' else 'reach' end;
