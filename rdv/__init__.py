"""rdv package."""
