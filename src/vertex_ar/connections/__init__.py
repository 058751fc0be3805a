"""Storage connections: which backend each company's media lives on, its secrets, moving between."""
