-- Fails only when asked (CITYOPS_DBT_VARS='{"cityops_fail_build": true}'): a rehearsal
-- that a failing test keeps the previous marts published (tests/test_quality_build.py).
{{ config(severity='error', tags=['build_gate']) }}

select 'a failure was requested with the var cityops_fail_build' as reason
where {{ 'true' if var('cityops_fail_build', false) else 'false' }}
