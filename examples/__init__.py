"""Examples that use recall-sim from the customer's side; each imports nothing from the project."""
