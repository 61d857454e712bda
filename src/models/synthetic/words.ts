/**
 * The embedded English word list behind the synthetic vocabularies. No corpus can be downloaded
 * where the models are generated, so the words are written here: function words, general
 * vocabulary, then everyday words grouped by topic. The offline demo searches ~1,000 everyday
 * sentences on ~20 topics: words missing here fall back to letter pieces, and the topic groups
 * let `bert-subspaces.ts` give related words ("ocean", "wave", "beach") related embeddings.
 * Inflections mostly come from WordPiece suffixes (`crash ##ed`); irregular forms are listed.
 * A word listed twice keeps its first place and topic.
 */

/** Words so frequent that they say little about a text's topic. */
const FUNCTION_WORDS = `
a an the and or but if then so than that this these those there here of to in on at by for
with from into onto over under about after before between through during without within
is are was were be been being am do does did done have has had having will would shall should
can could may might must not no yes it its he him his she her hers they them their theirs
we us our ours you your yours i me my mine who whom whose which what when where why how
all any each every some many much more most few less least other another such same own only
very just also too again still even ever never always often sometimes once up down out off
as while because until unless though although whether both either neither nor per via
`

/** Common words that belong to no topic in particular. */
const GENERAL_WORDS = `
time year day week month hour minute second moment today tomorrow yesterday tonight morning
afternoon evening night weekend early late soon now later past future daily weekly yearly
people person man woman men women name life world thing things number lot kind sort type
form case fact idea question answer problem reason result example word words list set level
order rule part end point line way side place area
good bad new old young great small large big little long short high low right left wrong true
false real best better worse worst easy hard difficult simple important possible different
similar free full empty open closed public private local national international global major
main general special common strong weak fast slow quick quiet loud clean dirty safe dangerous
ready able sure clear certain likely final whole entire perfect favorite popular famous
modern ancient natural human social personal physical first last next previous
one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
hundred thousand million billion half double single pair dozen several
say said tell told speak spoke talk ask call answer reply explain describe discuss agree
argue promise suggest mention announce report claim admit
go went gone come came get got make made take took taken give gave given see saw seen know
knew known think thought feel felt find found keep kept leave left bring brought begin began
hold held stand stood sit sat wait walk use want need like love hate hope wish try help work
live move stay start stop finish change turn show look watch listen hear heard open close
learn remember forget understand believe decide plan prepare create improve increase reduce
save protect support allow let prevent avoid happen continue remain appear seem become
include contain cover fill add remove replace compare choose check count collect offer
provide receive accept refuse deliver manage control solve
quickly slowly carefully easily finally suddenly usually recently really almost already
enough maybe perhaps probably together alone away back forward around inside outside nearby
behind below above across along against among beside beyond toward towards upon
north south east west northern southern eastern western center middle top bottom front
corner edge surface space gap
happy happiness sad angry calm busy tired bored excited afraid proud kind nice joy fun funny
smile laugh cry tears fear worry worried surprise surprised lonely nervous anxious relaxed
peaceful grateful thankful curious brave honest polite rude lazy clever smart wise silly
crazy gentle careful careless patient beautiful pretty ugly
monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december date calendar clock hour hours minutes
days weeks months years decade decades century centuries midnight noon sunrise sunset dawn
dusk annual monthly near far heavy light regular normal usual unusual strange rare huge tiny
enormous distant close sharp sharply deep wide narrow thick thin soft smooth rough warm cool
rise rose risen raise fall fell fallen drop grow grew grown carry pull push cut hit break broke
broken wake woke win won meet met send sent throw sleep perform capture recommend practice
prepare produce increase decrease happen miss missed join share spend follow lead led teach
fight fought choose chose wear lose test measure mean meant reach pick pass return enjoy
problem problems solution solutions method methods process system systems information detail
details figure figures chart graph survey report reports review reviews opinion opinions
advice tip tips guide step steps habit habits routine goal goals plan plans chance choice
decision effort experience skill skills success failure mistake mistakes memory dream dreams
secret trouble truth value view voice power force energy mind moment future history
important interesting boring amazing wonderful terrible awful excellent fantastic incredible
serious useful useless successful famous familiar foreign strange nervous quiet silent
something nothing anything everything someone anyone everyone nobody somewhere anywhere
everywhere ago since yet instead rather quite especially exactly actually certainly clearly
definitely honestly hopefully luckily unfortunately fortunately apparently obviously nearly
highly mostly partly fully piece bit member members role position situation condition status
rest matter issue issues topic topics event events activity activities action actions
`

/** Everyday words by topic; words of a topic get embeddings that share a direction. */
const TOPIC_WORDS: Record<string, string> = {
  family: `anniversary newborn nephew niece twins grandson granddaughter family parent parents mother father mom dad brother sister son daughter grandmother
    grandfather grandparents aunt uncle cousin wife husband child children kid kids baby boy
    girl toddler teenager teen adult elderly senior youth childhood birth age birthday wedding
    marriage relationship friend friends friendship friendly neighbor neighbors guest hug kiss
    couple couples romance romantic dating`,
  ocean: `pier lighthouse seashell waterfront bay gulf ocean oceans sea seas wave waves beach beaches coast shore sand island islands tide
    current salt surf surfing boat sailboat ship sail sailing sailor harbor port dock whale
    dolphin shark seal coral reef crab shell octopus jellyfish turtle seaweed underwater diver
    diving marine swimmer lifeguard snorkel snorkeling yacht cruise ferry canoe kayak paddle
    anchor lake river stream water`,
  weather: `celsius fahrenheit heatwave blizzard hail drizzle mist degrees weather forecast temperature degree climate heat hot cold warm cool dry wet storm
    wind rain snow ice fog cloud clouds sun sunny sunshine sky thunder lightning hurricane
    tornado flood drought frost humid humidity breeze umbrella rainbow rainy cloudy windy snowy
    stormy foggy freezing chilly mild sunlight shade shadow season spring summer autumn fall
    winter`,
  nature: `sunflower daisy oak pine maple bamboo moss fern pond swamp hillside nature forest tree trees wood woods leaf leaves flower flowers plant plants grass
    bush rose tulip mud rock stone mountain mountains hill valley desert field park trail path
    cave volcano earthquake canyon cliff waterfall meadow jungle wildlife environment pollution
    recycling recycle plastic waste trash garbage renewable emissions warming conservation
    sustainable`,
  animals: `squirrel raccoon hedgehog kangaroo koala panda camel donkey lizard goldfish animal animals dog dogs cat cats puppy puppies kitten bird birds horse cow pig sheep
    goat chicken duck mouse rabbit bear wolf fox deer lion tiger elephant monkey giraffe zebra
    snake frog bee bees butterfly insect spider ant owl eagle penguin pet pets zoo species tail
    wing wings fur feather nest vet leash collar cage aquarium hamster parrot hunt hunter`,
  food: `omelet sushi curry taco tacos burrito dressing vinegar cinnamon ginger vanilla oats cucumber avocado melon watermelon fridge food meal breakfast lunch dinner snack dessert recipe recipes cook cooking chef kitchen
    oven stove pan pot bowl plate cup glass fork knife spoon bread loaf toast butter cheese milk
    cream yogurt egg eggs rice pasta noodle noodles soup salad sandwich pizza burger meat beef
    pork lamb steak sausage bacon salmon tuna shrimp lobster turkey ham vegetable vegetables
    fruit fruits apple apples banana lemon lime grape grapes strawberry cherry peach pear mango
    pineapple berry berries tomato tomatoes potato potatoes carrot onion garlic pepper corn bean
    beans pea peas lettuce cabbage broccoli spinach mushroom olive oil sugar salt flour honey
    chocolate cake cookie cookies pie candy coffee tea juice wine beer sauce spice spices herb
    herbs ingredient ingredients flavor taste tasty delicious restaurant cafe menu waiter bakery
    pancake pancakes waffle waffles cereal oatmeal jam peanut nut nuts almond vegetarian vegan
    organic spicy sweet sour bitter salty fresh roast roasted grilled fried baked boiled steamed
    raw sliced chopped mixed stir mug kettle blender bake boil fry eat ate eaten drink drank
    smell barbecue grill picnic`,
  music: `soundtrack music musical song songs sing sang singer band concert guitar piano drum drums violin
    trumpet flute orchestra melody rhythm harmony beat lyrics album record radio playlist jazz
    rock pop classical opera choir dance dancer dancing stage musician composer note notes
    chord tune audience festival pianist guitarist drummer violinist rapper hip hop folk blues
    punk reggae techno electronic vinyl karaoke headphones speaker speakers microphone symphony
    catchy perform performance performed studio tour artist singers bands songwriter`,
  technology: `smartwatch router programmer ai chatbot processor storage memory cybersecurity hacker computer computers laptop phone phones smartphone tablet screen keyboard monitor
    printer software hardware app apps program programming code coding developer data database
    internet web website webpage online email network server cloud file files password security
    privacy digital device devices robot robots technology tech artificial intelligence machine
    machines learning algorithm chip battery charger charge cable wifi bluetooth pixel pixels
    click download upload update install search engine browser user users account message
    messages text texting chat social media post stream link links call calls bug bugs crash
    virtual digital signal sensor sensors gadget gadgets
    screenshot notification notifications`,
  health: `medication antibiotics meditation mindfulness hydration health healthy doctor doctors nurse hospital clinic patient patients medicine medical
    drug drugs pill pills disease illness virus infection fever cough flu pain headache injury
    heart brain lung lungs blood bone bones muscle muscles skin body stomach tooth teeth eye eyes
    ear ears nose mouth hand hands arm arms leg legs foot feet head hair face neck back knee
    exercise fitness workout gym yoga diet nutrition vitamin vitamins protein calories weight
    sleep slept stress mental therapy treatment surgery vaccine care cancer diabetes symptom
    symptoms recovery allergy allergies sneeze bandage emergency ambulance pharmacy prescription
    dentist dental checkup wellness breathe breath breathing jog jogging sick ill pressure
    pulse appointment clinic healthy illness doctor nurses diet`,
  sports: `cyclist runner runners sprint jersey helmet umpire sport sports football soccer basketball baseball tennis golf hockey rugby cricket
    volleyball boxing running race marathon swimming swim swam cycling bike bicycle skiing ski
    skate skating match goal goals score team teams coach player players fan fans stadium league
    championship tournament medal olympic olympics referee ball bat net court pitch track
    training trophy win won victory defeat lose lost final finals champion champions athlete
    athletes goalkeeper striker midfielder defender tackle pass shot shots dribble serve inning
    innings pitcher batter homerun quarterback touchdown penalty kickoff halftime overtime
    run ran kick jump climb throw threw catch caught`,
  space: `cosmos rover probe spacewalk planet planets earth moon mars venus jupiter saturn star stars galaxy universe space
    astronaut astronauts rocket rockets orbit satellite telescope comet asteroid solar gravity
    nasa launch mission alien aliens cosmic spacecraft spaceship lunar landing crater nebula
    meteor eclipse stars sky observatory`,
  science: `hypothesis microscope climate data science scientist scientists research experiment experiments laboratory lab theory
    physics chemistry biology math mathematics energy atom atoms molecule cell cells gene genes
    dna evolution fossil dinosaur dinosaurs electricity magnet magnetic power nuclear carbon
    oxygen hydrogen gas liquid solid chemical discovery invent invention inventor engineer
    engineering innovation measure test weigh study studies`,
  finance: `portfolio dividend dividends analyst analysts broker unemployment market markets stock stocks share shares shareholders price prices money bank banks
    finance financial economy economist investment investor investors invest profit loss trade
    trading credit cash coin coins dollar dollars euro pound payment debt loan interest rate
    rates inflation growth bond bonds fund funds crypto bitcoin currency wealth earnings revenue
    quarter quarterly rally crash slump boom recession exchange wall street index saving savings
    retire retirement pension insurance mortgage tax taxes budget cost costs rich poor cheap
    expensive buy bought sell sold pay paid spend spent`,
  work: `interview resume promotion remote workplace coworker coworkers productivity business businesses company companies firm startup industry office manager boss
    employee employees worker workers job jobs career salary wage wages income contract deal
    meeting meetings project projects task tasks schedule deadline team colleague colleagues
    client clients hire hired factory factories tool tools steel metal iron copper material
    materials build built design develop produce repair fix`,
  education: `semester graduate graduation scholarship essay quiz tutor campus kindergarten school schools student students teacher teachers class classes classroom lesson
    lessons homework exam exams test tests grade grades university college course courses degree
    professor lecture library book books page pages chapter novel novels author reader reading
    writing write wrote written read education knowledge language languages english spanish
    french german chinese dictionary pencil pen paper notebook desk board subject geography
    history teach taught study poetry poem poems poet fiction nonfiction mystery fantasy
    biography comic comics`,
  movies: `trailer premiere sequel documentary animation cartoon streaming movie movies film films cinema actor actress director scene show shows series episode
    television tv drama comedy horror thriller hero villain character characters plot ticket
    tickets theater theatre camera photo photos photograph picture pictures image images news
    newspaper magazine article journalist headline story stories interview podcast blog channel
    broadcast press editor video videos game games gaming player console`,
  art: `exhibition mural pottery photography photographer sculptor art artist artists painting paintings painter paint draw drawing museum gallery
    sculpture canvas brush brushes sketch portrait landscape color colors colour colorful style
    design craft crafts`,
  shopping: `delivery package parcel refund shopping fashion clothes clothing shirt shirts dress dresses jacket coat hat shoe shoes boot
    boots jeans pants skirt sock socks scarf glove gloves bag bags jewelry ring necklace watch
    wear wore model models trend trends fabric cotton wool silk leather size shop shops store
    stores mall brand product products sale sales customer customers discount coupon receipt
    checkout cart basket aisle cashier bargain grocery order deliver`,
  travel: `resort sightseeing souvenir itinerary destination booking reservation hostel travel trip trips journey vacation holiday holidays tourist tourists hotel hotels
    airport airplane plane planes flight flights fly flew flown passport luggage suitcase map
    maps guide tour tours abroad culture camping tent hiking backpack adventure visit arrive
    return border`,
  transport: `tire tires brake brakes license mechanic train trains station bus buses taxi car cars truck trucks traffic highway bridge
    tunnel road roads street drive drove driver drivers engine wheel wheels fuel gasoline
    electric speed parking garage motorcycle subway metro transport transportation vehicle
    vehicles accident passenger passengers commute commuter rush delay delayed cancel canceled
    seat seats ride rides route routes lane lanes sign signs signal crossing sidewalk`,
  home: `sink refrigerator freezer microwave dishwasher laundry vacuum broom towel pillow blanket cushion toilet shower bath bathtub heater home house houses apartment room rooms bedroom bathroom living door doors window windows
    wall walls floor roof stairs table tables chair chairs sofa couch bed beds lamp light lights
    shelf closet mirror carpet curtain furniture key keys rent neighborhood building buildings
    tower city cities downtown suburb town village garden gardening gardener soil compost
    harvest bloom blossom lawn mower hedge weed weeds fertilizer greenhouse orchard vine shovel
    yard fence gate seed seeds root branch farm farmer chore chores wash sweep`,
  society: `protest campaign senator parliament congress debate immigration democracy volunteer charity donation government president minister law laws court judge police crime criminal election
    vote voter voters party policy politics political war peace army soldier soldiers military
    citizen citizens rights freedom justice king queen prince princess empire church temple
    religion god prayer christmas thanksgiving halloween easter eve fireworks parade costume
    celebrate celebration gift gifts community country state nation mayor council population
    economic cultural`,
  hobbies: `baking hiking sewing origami collecting stamps hobby hobbies knitting puzzle puzzles chess cards toy toys doll kite swing slide
    playground campfire fishing fish play played game`,
  colors: `red green blue yellow orange purple pink brown black white gray grey cyan magenta
    violet gold silver golden dark bright square circle triangle shape shapes round dot object`,
}

function split(words: string): string[] {
  return words.split(/\s+/).filter((w) => /^[a-z]+$/.test(w))
}

/** Every vocabulary word, once, in a fixed order: function, general, then topic words. */
export function vocabularyWords(): string[] {
  const all = [FUNCTION_WORDS, GENERAL_WORDS, ...Object.values(TOPIC_WORDS)].flatMap(split)
  return [...new Set(all)]
}

export function functionWords(): ReadonlySet<string> {
  return new Set(split(FUNCTION_WORDS))
}

/** Word → topic, for words whose first listing is in a topic group. */
export function wordTopics(): ReadonlyMap<string, string> {
  const taken = new Set([...split(FUNCTION_WORDS), ...split(GENERAL_WORDS)])
  const topics = new Map<string, string>()
  for (const [topic, words] of Object.entries(TOPIC_WORDS)) {
    for (const word of split(words)) {
      if (!taken.has(word) && !topics.has(word)) topics.set(word, topic)
    }
  }
  return topics
}
