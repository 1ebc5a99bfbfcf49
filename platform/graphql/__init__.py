"""What all GraphQL code shares: request context, permissions, user errors, connections."""
