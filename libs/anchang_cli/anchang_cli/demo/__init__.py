"""``anchang demo`` (``make demo``): a realistic day of a sales site, played through the public RPC API.

``script`` decides everything that happens (pure, from a seed: people, clients, tickets and their
fates); ``crew`` recruits and onboards the staff; ``desk`` registers the clients and works the
tickets; ``day`` runs the whole day with a progress bar and returns what the SLA report and the
appraisal ranking say."""
