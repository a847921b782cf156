"""Operations that change several rows at once, each in one transaction."""
