"""Notifications to companies: expiry warnings by email and Telegram."""
