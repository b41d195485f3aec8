"""The administrative-division tree: province > city > county > town/street > village/community."""
