"""Preparation before a session: required material, members' notes, questions to the
referring doctor and their answers, reviewed-by marks."""
