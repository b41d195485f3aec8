"""Plans (应急预案), their versions, the filing (备案) workflow, evaluations and revisions."""
