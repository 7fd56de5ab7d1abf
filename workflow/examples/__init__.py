"""Example data: the seed case (太山镇党委, 2024-2025) as an import file and a replay of its events."""
