"""Projects: a company's campaigns that group AR content."""
