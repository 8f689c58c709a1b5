/// The 256 words of the short authentication string (SAS), index = one byte.
///
/// Short, common, lowercase English nouns, sorted, distinct, chosen to sound unlike one
/// another when read aloud. This list is part of the wire protocol: changing a word or its
/// position changes the words both sides show, so never edit it without a new SAS info
/// label ("parley sas v2").
public enum SASWordList {
    public static let words: [String] = [
        "able", "acid", "acorn", "adult", "agent", "alarm", "album", "alley",
        "amber", "angle", "ankle", "apple", "april", "apron", "arena", "armor",
        "arrow", "atlas", "attic", "aunt", "award", "bacon", "badge", "bagel",
        "baker", "bamboo", "banjo", "barn", "basil", "basket", "beach", "beard",
        "beaver", "bell", "bench", "berry", "bike", "bingo", "birch", "bison",
        "blade", "blanket", "bloom", "boat", "bone", "bonus", "book", "bottle",
        "bowl", "brain", "branch", "bread", "brick", "bridge", "broom", "brush",
        "bucket", "bugle", "bunny", "butter", "cabin", "cactus", "cake", "camel",
        "camera", "candle", "canoe", "canyon", "carpet", "carrot", "castle", "cat",
        "cello", "chair", "chalk", "cheese", "cherry", "chess", "chicken", "circle",
        "clock", "cloud", "clover", "coast", "cobra", "cocoa", "coffee", "comet",
        "copper", "coral", "cotton", "cousin", "cowboy", "crab", "crane", "crayon",
        "cricket", "crown", "daisy", "dancer", "desert", "diamond", "dinner", "doctor",
        "dolphin", "donkey", "dragon", "drum", "eagle", "easel", "echo", "elbow",
        "engine", "falcon", "farmer", "feather", "fence", "fiddle", "finger", "fire",
        "flag", "flute", "forest", "fossil", "fox", "frog", "garden", "garlic",
        "giant", "ginger", "giraffe", "glove", "goat", "gold", "gorilla", "grape",
        "gravel", "guitar", "hammer", "harbor", "hawk", "helmet", "hero", "honey",
        "hornet", "horse", "hotel", "igloo", "island", "ivory", "jacket", "jaguar",
        "jelly", "jungle", "kettle", "kitten", "koala", "ladder", "lake", "lamp",
        "lemon", "leopard", "lettuce", "lily", "lizard", "lobster", "lumber", "magnet",
        "mango", "maple", "marble", "meadow", "melon", "mirror", "monkey", "moose",
        "muffin", "museum", "needle", "nest", "noodle", "ocean", "olive", "onion",
        "orange", "orbit", "otter", "owl", "oyster", "paddle", "palace", "panda",
        "parrot", "peanut", "pencil", "penguin", "pepper", "piano", "pickle", "pilot",
        "pizza", "planet", "pocket", "pony", "potato", "pumpkin", "puzzle", "rabbit",
        "radio", "rainbow", "raven", "ribbon", "river", "robot", "rocket", "saddle",
        "salmon", "sandal", "scarf", "shadow", "shark", "shovel", "silver", "skate",
        "sketch", "sled", "snail", "spider", "spoon", "stable", "statue", "summer",
        "sunset", "swan", "table", "tiger", "tomato", "tractor", "trumpet", "tulip",
        "turkey", "turtle", "valley", "velvet", "violin", "wagon", "walnut", "walrus",
        "whale", "window", "winter", "wizard", "wolf", "yogurt", "zebra", "zipper",
    ]
}
