"""The agent runtime: agents, tools, runs and their steps, the policy, and the executor."""
