@usersync-api @serial @S-US-07
Feature: Rule priorities
  The rules are ordered: the rule ranked first outranks the rule ranked second. Single-valued
  outcomes (admin role, user group, settings template) come from the highest-ranked matching rule; multi-valued outcomes
  (products, device groups) are the union of every matching rule. Where the highest-ranked
  rule leaves a single-valued outcome empty, the next matching rule that sets it decides (the
  product does not say; this is the reference's documented choice).

  Background:
    Given User Sync is set up for the organization
    And the directory users Ann and Bob
    And the directory group "Sales"
    And the directory group "Support"
    And these rules, highest priority first:
      | group   | products         | admin role    | user group | device groups | settings template |
      | Sales   | Meeting          | Sales admin   | Sellers    | Laptops       | Standard          |
      | Support | Webinar, Meeting | Support admin | Helpers    | Phones        | Restricted        |
    And User Sync is on

  @must
  Scenario: The highest-ranked rule decides the single-valued outcomes; products are united
    When Ann joins "Sales"
    And Ann joins "Support"
    Then Ann has the products "Meeting" and "Webinar"
    And Ann has the admin role "Sales admin"
    And Ann's user group is "Sellers"
    And Ann's settings template is "Standard"
    And Ann's device groups are "Laptops" and "Phones"

  @must
  Scenario: Reordering the rules changes which rule wins
    Given Ann is a member of "Sales"
    And Ann is a member of "Support"
    When the rule for "Support" is moved to first place
    Then Ann has the admin role "Support admin"
    And Ann's settings template is "Restricted"
    And Ann has the products "Meeting" and "Webinar"

  @must
  Scenario: A rule added ranked first outranks the existing ones
    Given Bob is a member of "Support"
    When the rule "Support -> Webinar" with the admin role "Webinar admin" is added ranked first
    Then Bob has the admin role "Webinar admin"
    And Bob's user group is "Helpers"
