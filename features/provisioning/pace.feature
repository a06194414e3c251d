@provisioning
Feature: The simulated clock keeps Entra's time
  Microsoft publishes how long the provisioning service takes: an initial cycle takes roughly
  0.01 to 0.08 minutes per object (N = users + groups + members), and an incremental cycle of
  fewer than 5,000 changes usually under 10 minutes. The mock provider spends its pace per
  object on the simulated clock (the target's own time wins when longer), and the next cycle
  starts 40 minutes after the previous one ends.

  Background:
    Given Ann is assigned to the app
    And Bob is assigned to the app

  @must @E-CY-03
  Scenario: The initial cycle takes the published time per object at the default pace
    When the initial cycle runs
    Then the initial cycle took between 0.01 and 0.08 simulated minutes per object

  @must @E-CY-03
  Scenario Outline: Each published pace keeps the initial cycle inside the published range
    Given the provider's pace is <pace>
    When the initial cycle runs
    Then the initial cycle took between 0.01 and 0.08 simulated minutes per object

    Examples:
      | pace |
      | low  |
      | high |

  @must @E-CY-03 @E-CY-02
  Scenario: A long initial cycle pushes the first incremental cycle
    Given the provider's pace is 10
    When the initial cycle runs
    Then the initial cycle took 20 simulated minutes
    And the next cycle is 40 minutes after the last cycle
    And the next cycle is due 60 minutes after the initial cycle began

  @must @E-CY-03
  Scenario: An incremental cycle of fewer than 5,000 changes takes under 10 minutes, even at the high pace
    Given the provider's pace is high
    And 1000 more users are assigned to the app
    When the initial cycle runs
    And 999 users move to the "Relocations" department
    And 1 more cycle runs
    Then the last cycle was incremental with 999 changes and took under 10 simulated minutes
