"""The sample bakery's catalog, as plain data.

Everything here was written for bakery_io; brands, people and addresses are
made up. Quantities are per batch; densities say what one cup weighs in ounces.
"""

# ruff: noqa: RUF001 (the sample text is meant to hold look-alike characters: dashes, times)
from __future__ import annotations

# Tables of records read best one record to a line.
# fmt: off

# (name, supplier_type, website, street, city, state, zip, notes, is_active)
SupplierSpec = tuple[
    str, str, str | None, str | None, str | None, str | None, str | None, str | None, bool
]
SUPPLIERS: list[SupplierSpec] = [
    (
        "Millbrook Farm Store", "physical", None, "418 County Road 9", "Millbrook", "NY", "12545",
        "Stone-ground flours; closed Mondays.", True,
    ),
    (
        "Costello Restaurant Depot", "physical", "https://depot.example.com/costello",
        "2200 Industrial Pkwy", "Albany", "NY", "12205", None, True,
    ),
    (
        "Harvest Table Grocery", "physical", None, None, "Kingston", None, None,
        "Weekly produce run; ask for Maëlle at the bakery counter.", True,
    ),
    (
        "Pantry Direct", "online", "https://pantry-direct.example.com", None, None, None, None,
        "Free shipping over $49 — bulk spices & extracts.", True,
    ),
    (
        "Bäckerei-Bedarf Kühn", "online", "https://kuehn-bedarf.example.de", None, "Köln", None,
        None, "Imports Lebkuchen spices; prices in € converted at checkout.", True,
    ),
    (
        "Sweetwater Packaging Co.", "online", "https://sweetwater-pack.example.com", None, None,
        None, None, None, True,
    ),
    (
        "Riverside Co-op", "physical", "https://riverside-coop.example.org", "77 Water St",
        "Hudson", "NY", "12534", "Member #4471 ✅", True,
    ),
    (
        "Old Town Bulk Foods", "physical", None, "5 Mill Lane", "Rhinebeck", "NY", "12572",
        "Closed for good in 2025 — kept for purchase history.", False,
    ),
]

# Ingredient tree: root category -> sub-category -> [(leaf name, cup weight in oz or None)].
INGREDIENT_TREE: dict[str, dict[str, list[tuple[str, str | None]]]] = {
    "Flours & Meals": {
        "Wheat Flours": [
            ("All-Purpose Flour", "4.25"),
            ("Bread Flour", "4.5"),
            ("Cake Flour", "4.0"),
            ("Whole Wheat Flour", "4.0"),
            ("Pastry Flour", "3.75"),
            ("Semolina", "5.8"),
            ("Type 00 Flour", "4.2"),
        ],
        "Alternative Flours": [
            ("Almond Flour", "3.4"),
            ("Rye Flour", "3.6"),
            ("Oat Flour", "3.25"),
            ("Spelt Flour", "3.6"),
            ("Buckwheat Flour", "4.25"),
            ("Coconut Flour", "4.5"),
            ("Rice Flour", "5.0"),
            ("Gluten-Free Flour Blend", "4.3"),
        ],
        "Meals & Starches": [
            ("Cornmeal", "4.9"),
            ("Cornstarch", "4.5"),
            ("Rolled Oats", "3.0"),
            ("Tapioca Starch", "4.4"),
        ],
    },
    "Sugars & Sweeteners": {
        "Granulated Sugars": [
            ("Granulated Sugar", "7.0"),
            ("Caster Sugar", "7.4"),
            ("Turbinado Sugar", "6.4"),
            ("Pearl Sugar", None),
        ],
        "Brown Sugars": [
            ("Light Brown Sugar", "7.5"),
            ("Dark Brown Sugar", "7.5"),
            ("Muscovado Sugar", "7.8"),
        ],
        "Powdered Sugars": [
            ("Confectioners' Sugar", "4.0"),
        ],
        "Liquid Sweeteners": [
            ("Honey", "12.0"),
            ("Maple Syrup", "11.0"),
            ("Molasses", "11.25"),
            ("Light Corn Syrup", "11.5"),
            ("Golden Syrup", "12.0"),
        ],
    },
    "Dairy & Eggs": {
        "Butter": [
            ("Unsalted Butter", "8.0"),
            ("Salted Butter", "8.0"),
        ],
        "Milk & Cream": [
            ("Whole Milk", "8.6"),
            ("Buttermilk", "8.6"),
            ("Heavy Cream", "8.2"),
            ("Sour Cream", "8.5"),
            ("Evaporated Milk", "8.9"),
            ("Sweetened Condensed Milk", "10.8"),
            ("Crème Fraîche", "8.4"),
        ],
        "Cheese": [
            ("Cream Cheese", "8.0"),
            ("Mascarpone", "8.0"),
            ("Ricotta", "8.7"),
        ],
        "Eggs": [
            ("Large Eggs", None),
            ("Egg Whites", "8.6"),
            ("Egg Yolks", None),
        ],
    },
    "Fats & Oils": {
        "Oils": [
            ("Vegetable Oil", "7.5"),
            ("Olive Oil", "7.5"),
            ("Coconut Oil", "7.6"),
        ],
        "Shortening": [
            ("Vegetable Shortening", "6.5"),
            ("Lard", "7.2"),
        ],
    },
    "Leaveners": {
        "Chemical Leaveners": [
            ("Baking Powder", "4.8"),
            ("Baking Soda", "10.2"),
            ("Cream of Tartar", "5.4"),
        ],
        "Yeast": [
            ("Instant Yeast", "4.5"),
            ("Active Dry Yeast", "4.8"),
            ("Fresh Yeast", None),
        ],
    },
    "Chocolate & Cocoa": {
        "Cocoa": [
            ("Natural Cocoa Powder", "3.0"),
            ("Dutch-Process Cocoa", "3.0"),
            ("Black Cocoa", "3.0"),
        ],
        "Chocolate": [
            ("Semisweet Chocolate Chips", "6.0"),
            ("Bittersweet Chocolate", "6.0"),
            ("Milk Chocolate", "6.0"),
            ("White Chocolate", "6.0"),
            ("Unsweetened Chocolate", None),
        ],
    },
    "Nuts & Seeds": {
        "Nuts": [
            ("Pecans", "3.5"),
            ("Walnuts", "4.0"),
            ("Sliced Almonds", "3.0"),
            ("Hazelnuts", "4.75"),
            ("Pistachios", "4.3"),
            ("Peanut Butter", "9.5"),
            ("Almond Paste", None),
        ],
        "Seeds": [
            ("Poppy Seeds", "5.0"),
            ("Sesame Seeds", "5.0"),
            ("Sunflower Seeds", "4.8"),
        ],
    },
    "Fruits": {
        "Dried Fruit": [
            ("Raisins", "5.3"),
            ("Dried Cranberries", "4.2"),
            ("Dried Apricots", "4.5"),
            ("Candied Orange Peel", None),
            ("Candied Lemon Peel", None),
        ],
        "Fresh & Frozen Fruit": [
            ("Granny Smith Apples", None),
            ("Blueberries", "5.0"),
            ("Lemons", None),
            ("Oranges", None),
            ("Bananas", None),
            ("Fresh Cranberries", "3.5"),
        ],
        "Jams & Fillings": [
            ("Raspberry Jam", "11.2"),
            ("Apricot Jam", "11.2"),
            ("Pumpkin Purée", "8.5"),
            ("Dulce de Leche", "10.9"),
        ],
    },
    "Spices, Extracts & Salt": {
        "Ground Spices": [
            ("Ground Cinnamon", "4.0"),
            ("Ground Ginger", "3.0"),
            ("Ground Nutmeg", "3.8"),
            ("Ground Cloves", "3.4"),
            ("Ground Cardamom", "3.2"),
            ("Allspice", "3.3"),
            ("Anise Seed", "3.6"),
            ("Lebkuchen Spice Mix", "3.5"),
        ],
        "Extracts": [
            ("Pure Vanilla Extract", "7.3"),
            ("Almond Extract", "7.3"),
            ("Peppermint Extract", "7.3"),
            ("Vanilla Beans", None),
        ],
        "Salt": [
            ("Kosher Salt", "4.8"),
            ("Fine Sea Salt", "10.2"),
            ("Fleur de Sel", "4.0"),
        ],
    },
    "Pantry Basics": {
        "Liquids": [
            ("Filtered Water", "8.3"),
            ("Brewed Coffee", "8.3"),
            ("Dark Rum", "7.8"),
        ],
    },
    "Decorations": {
        "Sprinkles": [
            ("Rainbow Sprinkles", "6.4"),
            ("Nonpareils", "7.0"),
            ("Sanding Sugar", "7.6"),
        ],
        "Colorings & Leaf": [
            ("Gel Food Coloring", None),
            ("Edible Gold Leaf", None),
        ],
    },
    "Packaging Supplies": {
        "Bags & Wraps": [
            ("Cellophane Treat Bags", None),
            ("Parchment Paper", None),
            ("Wax Paper", None),
        ],
        "Boxes & Liners": [
            ("Cupcake Liners", None),
            ("Bakery Boxes", None),
        ],
    },
    "Seasonal Specials ✨": {},
}

#: Root categories whose leaves are packaging, consumed by assembly runs.
PACKAGING_ROOT = "Packaging Supplies"

# Fictional brands, and how each root category is usually sold:
# (package_size, package_type, package_unit, package_unit_quantity, typical price).
BRANDS = [
    "Millbrook Farms",
    "Golden Acre",
    "Harvest Table",
    "Alpenmühle",
    "Blue Heron Pantry",
    "Prairie Gold",
    "Sweetwater",
    "Maison Dorée",
]

PACKAGE_STYLES: dict[str, list[tuple[str, str, str, str, str]]] = {
    "Flours & Meals": [
        ("5 lb bag", "bag", "lb", "5", "6.49"),
        ("2 kg bag", "bag", "kg", "2", "7.99"),
    ],
    "Sugars & Sweeteners": [
        ("4 lb bag", "bag", "lb", "4", "4.29"),
        ("32 oz jar", "jar", "oz", "32", "9.99"),
    ],
    "Dairy & Eggs": [
        ("16 fl oz carton", "carton", "fl oz", "16", "3.49"),
        ("1 dozen", "carton", "each", "12", "4.19"),
        ("1 lb block", "box", "lb", "1", "5.29"),
    ],
    "Fats & Oils": [
        ("48 fl oz bottle", "bottle", "fl oz", "48", "7.49"),
    ],
    "Leaveners": [
        ("8.1 oz can", "can", "oz", "8.1", "3.79"),
        ("3-pack strips", "pouch", "each", "3", "2.19"),
    ],
    "Chocolate & Cocoa": [
        ("12 oz bag", "bag", "oz", "12", "4.99"),
        ("8 oz can", "can", "oz", "8", "6.49"),
    ],
    "Nuts & Seeds": [
        ("16 oz bag", "bag", "oz", "16", "11.99"),
    ],
    "Fruits": [
        ("6 oz bag", "bag", "oz", "6", "3.99"),
        ("3 lb bag", "bag", "lb", "3", "5.49"),
    ],
    "Spices, Extracts & Salt": [
        ("2.37 oz jar", "jar", "oz", "2.37", "5.99"),
        ("4 fl oz bottle", "bottle", "fl oz", "4", "12.49"),
    ],
    "Pantry Basics": [
        ("1 gal jug", "jug", "gal", "1", "1.29"),
    ],
    "Decorations": [
        ("4 oz jar", "jar", "oz", "4", "4.49"),
    ],
    "Packaging Supplies": [
        ("100 count box", "box", "each", "100", "12.99"),
        ("50 count pack", "pack", "each", "50", "8.49"),
    ],
}

# Recipes: (name, category, source, minutes, base recipe name, variant name,
#           ingredient lines "leaf name | quantity | unit [| note]",
#           components "recipe name | quantity",
#           finished units: (name, mode, items_per_batch or percentage, item unit)).
RecipeSpec = tuple[
    str, str, str | None, int | None, str | None, str | None,
    list[str], list[str], list[tuple[str, str, str, str | None]],
]

RECIPES: list[RecipeSpec] = [
    (
        "Chocolate Chip Cookies", "Cookies", "Family recipe card", 45, None, None,
        [
            "All-Purpose Flour | 2.25 | cup",
            "Baking Soda | 1 | tsp",
            "Kosher Salt | 1 | tsp",
            "Unsalted Butter | 1 | cup | softened (pommade)",
            "Granulated Sugar | 0.75 | cup",
            "Light Brown Sugar | 0.75 | cup | packed",
            "Pure Vanilla Extract | 1 | tsp",
            "Large Eggs | 2 | each",
            "Semisweet Chocolate Chips | 2 | cup",
        ],
        [], [
            ("Chocolate Chip Cookie", "discrete_count", "48", "cookie"),
        ],
    ),
    (
        "Chocolate Chip Cookies", "Cookies", None, 50, "Chocolate Chip Cookies", "Gluten-Free",
        [
            "Gluten-Free Flour Blend | 2.3333 | cup",
            "Baking Soda | 1 | tsp",
            "Kosher Salt | 1 | tsp",
            "Unsalted Butter | 1 | cup",
            "Granulated Sugar | 0.75 | cup",
            "Light Brown Sugar | 0.75 | cup",
            "Large Eggs | 2 | each",
            "Semisweet Chocolate Chips | 1.5 | cup",
        ],
        [],
        [
            ("Gluten-Free Chocolate Chip Cookie", "discrete_count", "36", "cookie"),
        ],
    ),
    (
        "Chocolate Chip Cookies", "Cookies", None, 70, "Chocolate Chip Cookies", "Brown Butter",
        [
            "All-Purpose Flour | 2.25 | cup",
            "Baking Soda | 1 | tsp",
            "Fleur de Sel | 0.5 | tsp",
            "Unsalted Butter | 1 | cup | browned — beurre noisette",
            "Dark Brown Sugar | 1 | cup",
            "Granulated Sugar | 0.5 | cup",
            "Large Eggs | 2 | each",
            "Bittersweet Chocolate | 8 | oz | chopped",
        ],
        [], [
            ("Brown Butter Cookie", "discrete_count", "40", "cookie"),
        ],
    ),
    (
        "Snickerdoodles", "Cookies", "https://recipes.example.com/snickerdoodles", 40, None, None,
        [
            "All-Purpose Flour | 2.75 | cup",
            "Cream of Tartar | 2 | tsp",
            "Baking Soda | 1 | tsp",
            "Fine Sea Salt | 0.25 | tsp",
            "Unsalted Butter | 1 | cup",
            "Granulated Sugar | 1.5 | cup",
            "Large Eggs | 2 | each",
            "Ground Cinnamon | 2 | tbsp | for rolling",
        ],
        [], [
            ("Snickerdoodle", "discrete_count", "42", "cookie"),
        ],
    ),
    (
        "Pfeffernüsse", "Cookies", "Oma Weiß's notebook", 90, None, None,
        [
            "All-Purpose Flour | 3 | cup",
            "Lebkuchen Spice Mix | 2 | tbsp",
            "Anise Seed | 0.5 | tsp",
            "Baking Soda | 0.5 | tsp",
            "Honey | 0.5 | cup",
            "Molasses | 0.25 | cup",
            "Unsalted Butter | 0.5 | cup",
            "Large Eggs | 1 | each",
            "Confectioners' Sugar | 2 | cup | for the glaze",
        ],
        [], [
            ("Pfeffernuss", "discrete_count", "60", "cookie"),
        ],
    ),
    (
        "Royal Icing", "Frostings & Icings", None, None, None, None,
        [
            "Egg Whites | 3 | each",
            "Confectioners' Sugar | 4 | cup",
            "Cream of Tartar | 0.25 | tsp",
            "Gel Food Coloring | 3 | drop | optional",
        ],
        [], [],
    ),
    (
        "Gingerbread Cut-Out Cookies", "Cookies", None, 120, None, None,
        [
            "All-Purpose Flour | 3.5 | cup",
            "Ground Ginger | 1 | tbsp",
            "Ground Cinnamon | 2 | tsp",
            "Ground Cloves | 0.25 | tsp",
            "Baking Soda | 0.75 | tsp",
            "Dark Brown Sugar | 0.75 | cup",
            "Molasses | 0.6667 | cup",
            "Unsalted Butter | 0.75 | cup",
            "Large Eggs | 1 | each",
        ],
        ["Royal Icing | 1"],
        [
            ("Gingerbread Figure", "discrete_count", "24", "cookie"),
        ],
    ),
    (
        "Vanilla Buttercream", "Frostings & Icings", None, 20, None, None,
        [
            "Unsalted Butter | 1.5 | cup",
            "Confectioners' Sugar | 5 | cup",
            "Pure Vanilla Extract | 2 | tsp",
            "Heavy Cream | 3 | tbsp",
            "Fine Sea Salt | 0.125 | tsp",
        ],
        [], [],
    ),
    (
        "Salted Caramel Sauce", "Sauces", None, 25, None, None,
        [
            "Granulated Sugar | 1 | cup",
            "Heavy Cream | 0.5 | cup",
            "Salted Butter | 6 | tbsp",
            "Fleur de Sel | 1 | tsp",
        ],
        [], [
            ("Caramel Sauce Jar", "discrete_count", "2", "jar"),
        ],
    ),
    (
        "Salted Caramel Buttercream", "Frostings & Icings", None, 30, None, None,
        ["Unsalted Butter | 1 | cup", "Confectioners' Sugar | 3 | cup"],
        ["Salted Caramel Sauce | 0.5"], [],
    ),
    (
        "Caramel Layer Cake", "Cakes", None, 180, None, None,
        [
            "Cake Flour | 3 | cup",
            "Baking Powder | 1 | tbsp",
            "Fine Sea Salt | 0.5 | tsp",
            "Unsalted Butter | 1 | cup",
            "Light Brown Sugar | 1.5 | cup",
            "Large Eggs | 4 | each",
            "Buttermilk | 1 | cup",
            "Pure Vanilla Extract | 2 | tsp",
        ],
        ["Salted Caramel Buttercream | 1"],
        [
            ("Caramel Layer Cake", "batch_portion", "100.00", None),
        ],
    ),
    (
        "Classic Yellow Cake", "Cakes", "Adapted from a church cookbook", 75, None, None,
        [
            "Cake Flour | 2.5 | cup",
            "Baking Powder | 2.5 | tsp",
            "Fine Sea Salt | 0.5 | tsp",
            "Unsalted Butter | 1 | cup",
            "Granulated Sugar | 1.5 | cup",
            "Egg Yolks | 6 | each",
            "Whole Milk | 1 | cup",
            "Pure Vanilla Extract | 1 | tbsp",
        ],
        ["Vanilla Buttercream | 1"],
        [
            ("Yellow Layer Cake", "batch_portion", "100.00", None),
            ("Half Yellow Cake", "batch_portion", "50.00", None),
        ],
    ),
    (
        "Celebration Cake", "Cakes", None, 60, None, None, [],
        ["Classic Yellow Cake | 2", "Vanilla Buttercream | 1"],
        [
            ("Celebration Cake Tier", "batch_portion", "33.33", None),
        ],
    ),
    (
        "Flaky Pie Crust", "Pastry", None, 30, None, None,
        [
            "All-Purpose Flour | 2.5 | cup",
            "Kosher Salt | 1 | tsp",
            "Granulated Sugar | 1 | tbsp",
            "Unsalted Butter | 1 | cup | very cold, cubed",
            "Filtered Water | 0.5 | cup | ice cold",
        ],
        [], [],
    ),
    (
        "Apple Pie", "Pies", None, 150, None, None,
        [
            "Granny Smith Apples | 7 | each",
            "Granulated Sugar | 0.75 | cup",
            "Ground Cinnamon | 1 | tsp",
            "Ground Nutmeg | 0.25 | tsp",
            "Lemons | 1 | each | juiced",
            "Cornstarch | 2 | tbsp",
        ],
        ["Flaky Pie Crust | 2"],
        [
            ("Apple Pie", "discrete_count", "1", "pie"),
        ],
    ),
    (
        "Pumpkin Pie", "Pies", None, 110, None, None,
        [
            "Pumpkin Purée | 15 | oz",
            "Evaporated Milk | 12 | fl oz",
            "Large Eggs | 2 | each",
            "Light Brown Sugar | 0.75 | cup",
            "Lebkuchen Spice Mix | 1.5 | tsp",
        ],
        ["Flaky Pie Crust | 1"],
        [
            ("Pumpkin Pie", "discrete_count", "1", "pie"),
        ],
    ),
    (
        "Fudgy Brownies", "Bars", None, 55, None, None,
        [
            "Unsweetened Chocolate | 4 | oz",
            "Unsalted Butter | 0.75 | cup",
            "Granulated Sugar | 2 | cup",
            "Large Eggs | 3 | each",
            "All-Purpose Flour | 1 | cup",
            "Dutch-Process Cocoa | 2 | tbsp",
            "Walnuts | 1 | cup | optional",
        ],
        [], [
            ("Brownie Square", "discrete_count", "16", "square"),
        ],
    ),
    (
        "Lemon Bars", "Bars", None, 65, None, None,
        [
            "All-Purpose Flour | 2.25 | cup",
            "Confectioners' Sugar | 0.5 | cup",
            "Unsalted Butter | 1 | cup",
            "Granulated Sugar | 1.5 | cup",
            "Large Eggs | 4 | each",
            "Lemons | 4 | each | zested and juiced",
        ],
        [], [
            ("Lemon Bar", "discrete_count", "24", "bar"),
        ],
    ),
    (
        "Cranberry Orange Scones", "Breads", None, 40, None, None,
        [
            "All-Purpose Flour | 2 | cup",
            "Baking Powder | 1 | tbsp",
            "Turbinado Sugar | 2 | tbsp",
            "Unsalted Butter | 0.5 | cup",
            "Heavy Cream | 0.75 | cup",
            "Dried Cranberries | 0.75 | cup",
            "Oranges | 1 | each | zested",
        ],
        [], [
            ("Cranberry Orange Scone", "discrete_count", "8", "scone"),
        ],
    ),
    (
        "Honey Oat Bread", "Breads", None, 210, None, None,
        [
            "Bread Flour | 4 | cup",
            "Rolled Oats | 1 | cup",
            "Instant Yeast | 2.25 | tsp",
            "Honey | 0.3333 | cup",
            "Filtered Water | 1.5 | cup | warm",
            "Kosher Salt | 2 | tsp",
            "Vegetable Oil | 2 | tbsp",
        ],
        [], [
            ("Honey Oat Loaf", "discrete_count", "2", "loaf"),
        ],
    ),
    (
        "Dresdner Stollen", "Breads", "Bäckerei-Bedarf Kühn newsletter", 300, None, None,
        [
            "All-Purpose Flour | 4 | cup",
            "Fresh Yeast | 1.5 | oz",
            "Whole Milk | 0.75 | cup",
            "Unsalted Butter | 1 | cup",
            "Raisins | 1 | cup | soaked overnight",
            "Dark Rum | 0.25 | cup",
            "Candied Orange Peel | 0.5 | cup",
            "Candied Lemon Peel | 0.25 | cup",
            "Almond Paste | 7 | oz",
            "Confectioners' Sugar | 1 | cup | for dusting",
        ],
        [], [
            ("Stollen Loaf", "discrete_count", "2", "loaf"),
        ],
    ),
    (
        "Peppermint Bark", "Candies", None, 35, None, None,
        [
            "Bittersweet Chocolate | 12 | oz",
            "White Chocolate | 12 | oz",
            "Peppermint Extract | 0.5 | tsp",
        ],
        [], [
            ("Peppermint Bark Bag", "discrete_count", "10", "bag"),
        ],
    ),
    (
        "Pecan Toffee", "Candies", None, 45, None, None,
        [
            "Salted Butter | 1 | cup",
            "Granulated Sugar | 1 | cup",
            "Pecans | 1 | cup | toasted",
            "Milk Chocolate | 6 | oz",
        ],
        [], [
            ("Toffee Piece", "discrete_count", "30", "piece"),
        ],
    ),
]

# Materials: category -> subcategory -> [(material, base unit type,
#   [(product name, brand, package qty, package unit, quantity in base units,
#     [(unit name, quantity per unit)])])].
MaterialProductSpec = tuple[str, str | None, str, str, str, list[tuple[str, str]]]
MaterialSpec = tuple[str, str, list[MaterialProductSpec]]

MATERIALS: dict[str, dict[str, list[MaterialSpec]]] = {
    "Ribbons & Ties": {
        "Satin Ribbon": [
            (
                "Red Satin Ribbon", "linear_cm",
                [
                    (
                        "Red Satin Ribbon, 1 in × 25 yd spool", "Sweetwater", "1", "spool", "2286",
                        [
                            ("6-inch bow", "15.24"),
                            ("12-inch tie", "30.48"),
                        ],
                    ),
                ],
            ),
            (
                "Gold Satin Ribbon", "linear_cm",
                [
                    (
                        "Gold Satin Ribbon, 5/8 in × 50 yd", "Maison Dorée", "1", "spool", "4572",
                        [
                            ("6-inch bow", "15.24"),
                            ("Double bow", "45.72"),
                        ],
                    ),
                ],
            ),
        ],
        "Twine": [
            (
                "Baker's Twine", "linear_cm",
                [
                    (
                        "Red & White Baker's Twine, 240 yd", None, "1", "cone", "21945.6",
                        [
                            ("Box wrap", "120"),
                            ("Tag loop", "25"),
                        ],
                    ),
                ],
            ),
        ],
    },
    "Boxes & Tins": {
        "Cookie Boxes": [
            (
                "Window Cookie Box, Small", "each",
                [
                    (
                        "Window Cookie Box 6 × 6 × 2.5 in, 25 pack", "Sweetwater", "25", "box",
                        "25",
                        [
                            ("One box", "1"),
                        ],
                    ),
                ],
            ),
            (
                "Window Cookie Box, Large", "each",
                [
                    (
                        "Window Cookie Box 8 × 8 × 2.5 in, 20 pack", "Sweetwater", "20", "box",
                        "20",
                        [
                            ("One box", "1"),
                        ],
                    ),
                    (
                        "Kraft Window Box 8 in, 10 pack", None, "10", "box", "10",
                        [
                            ("One box", "1"),
                        ],
                    ),
                ],
            ),
        ],
        "Cake Boxes": [
            (
                "Cake Box 10 in", "each",
                [
                    (
                        "White Cake Box 10 × 10 × 5 in, 10 pack", "Sweetwater", "10", "box", "10",
                        [
                            ("One box", "1"),
                            ("Box with board", "1.5"),
                        ],
                    ),
                ],
            ),
        ],
        "Tins": [
            (
                "Round Cookie Tin", "each",
                [
                    (
                        "Holiday Round Tin 7 in, 6 pack", "Maison Dorée", "6", "tin", "6",
                        [
                            ("One tin", "1"),
                        ],
                    ),
                ],
            ),
        ],
    },
    "Bags & Wraps": {
        "Cellophane": [
            (
                "Clear Cellophane Roll", "square_cm",
                [
                    (
                        "Clear Cellophane 30 in × 100 ft", None, "1", "roll", "2322576",
                        [
                            ("Square sheet 30 × 30 cm", "900"),
                            ("Basket wrap 75 × 75 cm", "5625"),
                        ],
                    ),
                ],
            ),
            (
                "Cellophane Bag 4 × 9 in", "each",
                [
                    (
                        "Cellophane Bags 4 × 9 in, 100 pack", "Sweetwater", "100", "bag", "100",
                        [
                            ("One bag", "1"),
                        ],
                    ),
                ],
            ),
        ],
        "Kraft Bags": [
            (
                "Kraft Bag, Medium", "each",
                [
                    (
                        "Kraft Gusset Bag Medium, 50 pack", None, "50", "bag", "50",
                        [
                            ("One bag", "1"),
                        ],
                    ),
                ],
            ),
        ],
    },
    "Labels & Tags": {
        "Gift Tags": [
            (
                "Kraft Gift Tag", "each",
                [
                    (
                        "Kraft Gift Tags with string, 100 pack", "Sweetwater", "100", "tag", "100",
                        [
                            ("One tag", "1"),
                        ],
                    ),
                ],
            ),
        ],
        "Stickers": [
            (
                "Thank-You Sticker", "each",
                [
                    (
                        "Round Thank-You Stickers 1.5 in, 500 roll", None, "500", "sticker", "500",
                        [
                            ("One sticker", "1"),
                        ],
                    ),
                ],
            ),
            (
                "Étiquette Dorée", "each",
                [
                    (
                        "Gold Foil Seal Stickers, 250 roll", "Maison Dorée", "250", "sticker",
                        "250",
                        [
                            ("One seal", "1"),
                            ("Pair of seals", "2"),
                        ],
                    ),
                ],
            ),
        ],
    },
    "Seasonal Décor": {},
}

# Finished goods: (name, assembly type, description,
#   components "unit:<finished unit> | qty", "good:<finished good> | qty",
#   "material:<material product>/<material unit> | qty").
FINISHED_GOODS: list[tuple[str, str, str | None, list[str]]] = [
    ("Single Chocolate Chip Cookie", "bare", None, ["unit:Chocolate Chip Cookie | 1"]),
    ("Single Brownie", "bare", "Sold at the bake-sale table.", ["unit:Brownie Square | 1"]),
    ("Apple Pie (whole)", "bare", None, ["unit:Apple Pie | 1"]),
    (
        "Stollen Loaf, Wrapped", "bundle", None,
        [
            "unit:Stollen Loaf | 1",
            "material:Clear Cellophane 30 in × 100 ft/Square sheet 30 × 30 cm | 2",
            "material:Red & White Baker's Twine, 240 yd/Box wrap | 1",
        ],
    ),
    (
        "Cookie Dozen Box", "bundle", "Twelve cookies in a small window box.",
        [
            "unit:Chocolate Chip Cookie | 12",
            "material:Window Cookie Box 6 × 6 × 2.5 in, 25 pack/One box | 1",
            "material:Red Satin Ribbon, 1 in × 25 yd spool/6-inch bow | 1",
        ],
    ),
    (
        "Holiday Cookie Sampler", "bundle", None,
        [
            "unit:Gingerbread Figure | 4",
            "unit:Pfeffernuss | 6",
            "unit:Snickerdoodle | 4",
            "material:Window Cookie Box 8 × 8 × 2.5 in, 20 pack/One box | 1",
            "material:Gold Satin Ribbon, 5/8 in × 50 yd/6-inch bow | 1",
            "material:Kraft Gift Tags with string, 100 pack/One tag | 1",
        ],
    ),
    (
        "Brownie Four-Pack", "bundle", None,
        [
            "unit:Brownie Square | 4",
            "material:Kraft Gusset Bag Medium, 50 pack/One bag | 1",
            "material:Round Thank-You Stickers 1.5 in, 500 roll/One sticker | 1",
        ],
    ),
    (
        "Peppermint Bark Gift Bag", "bundle", None,
        [
            "unit:Peppermint Bark Bag | 1",
            "material:Cellophane Bags 4 × 9 in, 100 pack/One bag | 1",
            "material:Gold Foil Seal Stickers, 250 roll/One seal | 1",
        ],
    ),
    (
        "Toffee & Bark Duo", "bundle", None,
        [
            "unit:Toffee Piece | 8",
            "unit:Peppermint Bark Bag | 1",
            "material:Holiday Round Tin 7 in, 6 pack/One tin | 1",
        ],
    ),
    (
        "Scone Breakfast Box", "bundle", None,
        [
            "unit:Cranberry Orange Scone | 4",
            "unit:Caramel Sauce Jar | 1",
            "material:Kraft Window Box 8 in, 10 pack/One box | 1",
        ],
    ),
    (
        "Boxed Yellow Cake", "bundle", None,
        [
            "unit:Yellow Layer Cake | 1",
            "material:White Cake Box 10 × 10 × 5 in, 10 pack/Box with board | 1",
        ],
    ),
    (
        "Holiday Gift Basket", "bundle", "Sampler, brownies and bark, wrapped in cellophane.",
        [
            "good:Holiday Cookie Sampler | 1",
            "good:Brownie Four-Pack | 1",
            "good:Peppermint Bark Gift Bag | 1",
            "material:Clear Cellophane 30 in × 100 ft/Basket wrap 75 × 75 cm | 1",
            "material:Kraft Gift Tags with string, 100 pack/One tag | 1",
        ],
    ),
    (
        "Grand Holiday Hamper", "bundle", "Our biggest gift: the basket plus a Stollen. 🎁",
        [
            "good:Holiday Gift Basket | 1",
            "good:Stollen Loaf, Wrapped | 1",
            "good:Toffee & Bark Duo | 1",
            "material:Gold Foil Seal Stickers, 250 roll/Pair of seals | 1",
        ],
    ),
    (
        "Bake Sale Mixed Tray", "bundle", None,
        [
            "good:Single Brownie | 6",
            "good:Single Chocolate Chip Cookie | 12",
            "unit:Lemon Bar | 6",
        ],
    ),
    ("Custom Order (to be designed)", "bundle", "Placeholder for a customer's own mix.", []),
]

# Recipients (made-up people): (name, household, address, notes).
RECIPIENTS: list[tuple[str, str | None, str | None, str | None]] = [
    ("Amélie Laurent", "Laurent family", "12 Orchard Lane\nHudson, NY 12534", "Nut allergy!"),
    ("Jürgen Weiß", None, "Hauptstraße 5\n50667 Köln", "Loves anything with Marzipan."),
    ("Zoë Park", "Park–Nguyen household", None, None),
    ("Søren Lindqvist", None, "88 River Rd, Apt 3B\nKingston, NY 12401", None),
    ("Mateo Peña", "Peña family", "401 Elm St\nRhinebeck, NY 12572", "Prefers dark chocolate"),
    ("Chloé Okafor", None, None, "Teacher — deliver to the school office."),
    ("Björn Halvorsen", "Halvorsen", "27 Fjord View\nCatskill, NY 12414", None),
    ("Priya Raman", None, "9 Birch Court\nAlbany, NY 12203", "Vegetarian; no gelatin."),
    ("Marguerite O'Neil", "O'Neil–Byrne household", None, None),
    ("Dmitri Volkov", None, "Office: 3rd floor reception", None),
    ("Ngozi Adeyemi", "Adeyemi family", "63 Sunset Blvd\nHudson, NY 12534", None),
    ("Ms. Alvarez's 3rd Grade Class", None, "Hudson Elementary, Room 12", "24 students 🎒"),
    (
        "Nana Rosa 🌹", "Rossi family", "1 Via Roma\nPoughkeepsie, NY 12601",
        "Grandma — extra Pfeffernüsse please.",
    ),
    ("Hannah & Sam Whitfield", "Whitfield household", None, None),
]

# Packages: (name, description, is_template, notes, [(finished good, quantity)]).
PACKAGES: list[tuple[str, str | None, bool, str | None, list[tuple[str, int]]]] = [
    (
        "Neighbor Gift Box", "A little something for the street.", False, None,
        [
            ("Cookie Dozen Box", 1),
            ("Peppermint Bark Gift Bag", 1),
        ],
    ),
    (
        "Teacher Thank-You", None, False, "Hand-written card inside ✉️",
        [
            ("Brownie Four-Pack", 1),
            ("Single Chocolate Chip Cookie", 2),
        ],
    ),
    (
        "Family Hamper", "For the big households.", False, None,
        [
            ("Holiday Gift Basket", 1),
            ("Apple Pie (whole)", 1),
            ("Scone Breakfast Box", 1),
        ],
    ),
    (
        "Grand Family Hamper", None, False, "Only for Nana Rosa and the Kölner Weiß family.",
        [
            ("Grand Holiday Hamper", 1),
            ("Boxed Yellow Cake", 1),
        ],
    ),
    ("Office Party Tray", None, False, None, [("Bake Sale Mixed Tray", 2)]),
    (
        "Standard Cookie Tin", "Template for cookie-exchange tins.", True, None,
        [
            ("Holiday Cookie Sampler", 1),
        ],
    ),
    ("Blank Package Template", "Start here for a new package.", True, "Intentionally empty.", []),
]

# Events: (name, date, year, output mode, attendees, plan state, notes,
#          [(recipe, batches)], [(finished good, quantity)]).
EventSpec = tuple[
    str, str, int, str | None, int | None, str, str | None,
    list[tuple[str, int]], list[tuple[str, int]],
]
EVENTS: list[EventSpec] = [
    (
        "Christmas Cookie Exchange 2025", "2025-12-13", 2025, "bundled", 18, "completed",
        "Everyone brings 4 dozen; we swap. 🎄",
        [
            ("Chocolate Chip Cookies", 4),
            ("Pfeffernüsse", 3),
            ("Gingerbread Cut-Out Cookies", 2),
            ("Snickerdoodles", 2),
        ],
        [
            ("Holiday Cookie Sampler", 18),
        ],
    ),
    (
        "Fête de la Saint-Nicolas 2025", "2025-12-06", 2025, "bundled", None, "completed", None,
        [
            ("Dresdner Stollen", 2),
            ("Pfeffernüsse", 2),
        ],
        [
            ("Stollen Loaf, Wrapped", 4),
        ],
    ),
    (
        "Winter Bake Sale 2026", "2026-02-14", 2026, "bulk_count", 150, "in_production",
        "School gym, tables 4–7.",
        [
            ("Fudgy Brownies", 6),
            ("Lemon Bars", 3),
            ("Chocolate Chip Cookies", 5),
        ],
        [
            ("Bake Sale Mixed Tray", 10),
            ("Single Brownie", 40),
        ],
    ),
    (
        "Spring Garden Party 2026", "2026-05-16", 2026, "bulk_count", 40, "locked", None,
        [
            ("Classic Yellow Cake", 2),
            ("Cranberry Orange Scones", 3),
        ],
        [
            ("Boxed Yellow Cake", 2),
        ],
    ),
    (
        "Mother's Day Brunch 2026", "2026-05-10", 2026, None, 12, "draft",
        "Menu still open — Zoë suggested Crème Fraîche scones.",
        [
            ("Cranberry Orange Scones", 2),
        ], [],
    ),
    (
        "Holiday Gifts 2026", "2026-12-20", 2026, "bundled", None, "draft", None,
        [
            ("Peppermint Bark", 3),
            ("Pecan Toffee", 2),
            ("Dresdner Stollen", 3),
        ],
        [
            ("Grand Holiday Hamper", 3),
            ("Holiday Gift Basket", 8),
        ],
    ),
    ("Thanksgiving 2026", "2026-11-26", 2026, None, None, "draft", None, [], []),
]

# Event recipient packages: (event, recipient, package, quantity, status, delivered_to, notes).
EVENT_RECIPIENT_PACKAGES: list[tuple[str, str, str, int, str, str | None, str | None]] = [
    (
        "Christmas Cookie Exchange 2025", "Amélie Laurent", "Neighbor Gift Box", 1, "delivered",
        "Front porch", None,
    ),
    (
        "Christmas Cookie Exchange 2025", "Søren Lindqvist", "Neighbor Gift Box", 1, "delivered",
        None, None,
    ),
    (
        "Christmas Cookie Exchange 2025", "Mateo Peña", "Neighbor Gift Box", 2, "delivered",
        "Handed to Mateo's daughter", "Two boxes: one for the grandparents.",
    ),
    (
        "Christmas Cookie Exchange 2025", "Chloé Okafor", "Teacher Thank-You", 1, "delivered",
        "School office, Room 12", None,
    ),
    (
        "Christmas Cookie Exchange 2025", "Ms. Alvarez's 3rd Grade Class", "Office Party Tray", 1,
        "delivered", "Hudson Elementary — cafeteria", "Label everything: nut-free table!",
    ),
    (
        "Fête de la Saint-Nicolas 2025", "Jürgen Weiß", "Grand Family Hamper", 1, "delivered",
        "Shipped via post, tracking DE-4471-ÜX", None,
    ),
    (
        "Fête de la Saint-Nicolas 2025", "Nana Rosa 🌹", "Grand Family Hamper", 1, "delivered",
        "In person 🎅", None,
    ),
    (
        "Winter Bake Sale 2026", "Dmitri Volkov", "Office Party Tray", 3, "ready", None,
        "Pick-up Friday 8am.",
    ),
    ("Winter Bake Sale 2026", "Ngozi Adeyemi", "Family Hamper", 1, "ready", None, None),
    ("Winter Bake Sale 2026", "Priya Raman", "Teacher Thank-You", 1, "pending", None, None),
    ("Spring Garden Party 2026", "Zoë Park", "Family Hamper", 1, "pending", None, None),
    (
        "Spring Garden Party 2026", "Björn Halvorsen", "Neighbor Gift Box", 1, "pending", None,
        None,
    ),
    ("Holiday Gifts 2026", "Marguerite O'Neil", "Family Hamper", 1, "pending", None, None),
    (
        "Holiday Gifts 2026", "Hannah & Sam Whitfield", "Standard Cookie Tin", 2, "pending", None,
        None,
    ),
    (
        "Holiday Gifts 2026", "Nana Rosa 🌹", "Grand Family Hamper", 1, "pending", None,
        "Same as last year, plus toffee.",
    ),
    ("Holiday Gifts 2026", "Jürgen Weiß", "Grand Family Hamper", 1, "pending", None, None),
    (
        "Holiday Gifts 2026", "Amélie Laurent", "Neighbor Gift Box", 1, "pending", None,
        "Nut-free version — sans noix!",
    ),
]

# Words for generated history notes: plain, accented, German, emoji.
HISTORY_NOTES = [
    "Oven ran hot; rotated trays halfway.",
    "Doubled the vanilla — très bon.",
    "Used the last of the Großpackung flour.",
    "Customer favourite 😋",
    "Humid day, dough was sticky.",
    "Swapped parchment for silicone mats.",
    "Café order for Saturday ☕",
    "Noted for next year: start a day earlier.",
]

STORAGE_LOCATIONS = [
    "Pantry shelf A",
    "Pantry shelf B",
    "Walk-in fridge",
    "Chest freezer",
    "Basement rack",
    "Kühlraum",
]

LOSS_NOTES = [
    "Tray slid off the cooling rack.",
    "Forgot the timer ⏲️",
    "Wrong sugar — salz statt Zucker!",
    None,
]
# fmt: on
