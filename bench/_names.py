"""Word lists for the contacts bench: names (Latin and Cyrillic, with the transliteration the
Cyrillic ones get in email addresses), companies, positions, tags. Combined at random they
give ~1M people whose names repeat about as often as in a real client base."""


def _words(text: str) -> list[str]:
    return text.split()


LATIN_FIRST = _words("""
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel
Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy
Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin
Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry
Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle Noah Ethan Jeremy Walter
Christian Keith Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur Lawrence Jordan Mary
Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra
Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Dorothy
Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole
Samantha Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine Heather Diane
Olivia Julie Joyce Victoria Ruth Virginia Lauren Kelly Christina Joan Evelyn Judith Andrea
Hannah Megan Cheryl Jacqueline Martha Madison Teresa Gloria Sara Janice Ann Kathryn Abigail
Sophia Frances Jean Alice Judy Isabella Julia Grace Amber Denise Danielle Marilyn Beverly
Charlotte Natalie Theresa Diana Brittany Doris Kayla Alexis Lori Marie Lucas Oliver Liam
Mateo Leo Hugo Felix Oscar Elena Clara Ines Lucia
""")

LATIN_LAST = _words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook
Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez
Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan
Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera
Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison
Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker
Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason
Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox
Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan
Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos
Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews
Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis
Carpenter Lawrence Sandoval Guerrero George Chapman Rios Estrada Ortega Watkins Greene Nunez
Wheeler Valdez Harper Burke Larson Santiago Maldonado Morrison Franklin Carlson Austin
Dominguez Carr Lawson Jacobs Obrien Lynch Singh Vega Bishop Montgomery Oliver Jensen Harvey
Williamson Gilbert Dean Sims Espinoza Howell Li Wong Reid Hanson Le McCoy Garrett Burton
Fuller Wang Weber Welch Rojas Lucas Marquez Fields Park Yang Little Banks Padilla Day Walsh
Bowman Schultz Luna Fowler Mejia Davidson Acosta Brewer May Holland Juarez Newman Pearson
Curtis Cortez Douglas Schneider Joseph Barrett Navarro Figueroa Keller Avila Wade Molina
Stanley Hopkins Campos Barnett Bates Chambers Caldwell Beck Lambert Miranda Byrd Craig Ayala
Lowe Frazier Powers Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton Schwartz
Norris Jennings Watts Duran Walters Cohen McDaniel Moran Parks Steele Vaughn Becker Holt
Deleon Barker Terry Hale Leon Hail Benson Haynes Horton Miles Lyons Pham Graves Bush
Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson Lara Fletcher Page McCarthy
Love Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon
Velasquez Hardy Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis
Robbins Liu Ramsey Francis Griffith Paul Blair Oconnor Cardenas Pacheco Cross Calderon Quinn
Moss Swanson Chan Rivas Khan Rodgers Serrano Fitzgerald Rosales Stevenson Christensen
Manning Gill Curry McLaughlin Harmon McGee Gross Doyle Garner Newton Burgess Reese Walton
Blake Trujillo Adkins Brady Goodman Roman Webster Goodwin Fischer Huang Potter Delacruz
Montoya Todd Wu Hines Mullins Castaneda Malone Cannon Tate Mack Sherman Hubbard Hodges Zhang
Guerra Wolf Valencia Saunders Franco Rowe Gallagher Farmer Hammond Hampton Townsend Ingram
Wise Gallegos Clarke Barton Schroeder Maxwell Waters Logan Camacho Strickland Norman Person
Colon Parsons Frank Harrington Glover Osborne Buchanan Casey Floyd Patton Ibarra Ball Tyler
Suarez Bowers Orozco Salas Cobb Gibbs Andrade Bauer Conner Moody Escobar McGuire Lloyd
Mueller Hartman French Kramer McBride Pope Lindsey Velazquez Norton McCormick Sparks Flynn
Yates Hogan Marsh Macias Villanueva Zamora Pratt Stokes Owen Ballard Lang Brock Villarreal
Charles Drake Barrera Cain Patrick Pineda Burnett Mercado Santana Shepherd Bautista Ali
Shaffer Lamb Trevino McKenzie Hess Beil Olsen Cochran Morton Nash Wilkins Petersen Briggs
Shah Roth Nicholson Holloway Lozano Rangel Flowers Hoover Short Arias Mora Valenzuela Bryan
Meyers Weiss Underwood Bass Greer Summers Houston Carson Morrow Clayton Whitaker Decker
Yoder Collier Zuniga Carey Wilcox Melendez Poole Roberson Larsen Conley Davenport Copeland
Massey Lam Huff Rocha Cameron Jefferson Hood Monroe Anthony Pittman Huynh Randall Singleton
Kirk Combs Mathis Christian Skinner Bradford Richard Galvan Wall Boone Kirby Wilkinson
Bridges Bruce Atkinson Velez Meza Roy Vincent York Hodge Villa Abbott Allison Tapia Gates
Chase Sosa Sweeney Farrell Wyatt Dalton Horn Barron Phelps Yu Dickerson Heath Foley Atkins
Mathews Bonilla Acevedo Benitez Zavala Hensley Glenn Cisneros Harrell Shields Rubio Huffman
Choi Boyer Garrison Arroyo Bond Kane Hancock Callahan Dillon Cline Wiggins Grimes Arellano
Melton Oneill Savage Ho Beltran Pitts Parrish Ponce Rich Booth Koch Golden Ware Brennan
McDowell Marks Cantu Humphrey Baxter Sawyer Clay Tanner Hutchinson Kaur Berg Wiley Gilmore
Russo Villegas Hobbs Keith Wilkerson Ahmed Beard McClain Montes Mata Rosario Vang Walter
Henson Oneal Mosley McClure Beasley Stephenson Snow Huerta Preston Vance Barry Johns Eaton
Blackwell Dyer Prince Macdonald Solomon Guevara Stafford English Hurst Woodard Cortes
Shannon Kemp Nolan McCullough Merritt Murillo Moon Salgado Strong Kline Cordova Barajas
Roach Rosas Winters Jacobson Lester Knox Bullock Kerr Leach Meadows Orr Davila Whitehead
Pruitt Kent Conway McKee Barr David Dejesus Marin Berger McIntyre Blankenship Gaines
Palacios Cuevas Bartlett Durham Dorsey McCall Odonnell Stein Browning Stout Lowery Sloan
McLean Hendricks Calhoun Sexton Chung Gentry Hull Duarte Ellison Nielsen Gillespie Buck
Middleton Sellers Leblanc Esparza Hardin Bradshaw McIntosh Howe Livingston Frost Glass Morse
Knapp Herman Stark Bravo Noble Spears Weeks Corona Frederick Buckley McFarland Hebert
Enriquez Hickman Quintero Randolph Schaefer Walls Trejo House Reilly Pennington Michael
Conrad Giles Benjamin Crosby Fitzpatrick Donovan Mays Mahoney Valentine Raymond Medrano Hahn
McMillan Small Bentley Felix Peck Lucero Boyle Hanna Pace Rush Hurley Harding McConnell
Bernal Nava Ayers Everett Ventura Avery Pugh Mayer Bender Shepard McMahon Landry Case
Sampson Moses Magana Blackburn Dunlap Gould Duffy Vaughan Herring McKay Espinosa Rivers
Farley Bernard Ashley Friedman Potts Truong Costa Correa Blevins Nixon Clements Fry Delarosa
Best Benton Lugo Portillo Dougherty Crane Haley Phan Villalobos Blanchard Horne Finley
Quintana Lynn Esquivel Bean Dodson Mullen Xiong Hayden Cano Levy Huber Richmond Moyer Lim
Frye Sheppard McCarty Avalos Booker Waller Parra Woodward Jaramillo Krueger Rasmussen Brandt
Peralta Donaldson Stuart Faulkner Maynard Galindo Coffey Estes Sanford Burch Maddox Vo
Oconnell Vu Andersen Spence McPherson Church Schmitt Stanton Leal Cherry Compton Dudley
Sierra Pollard Alfaro Hester Proctor Lu Hinton Novak Good Madden McCann Terrell Jarvis
Dickson Reyna Cantrell Mayo Branch Hendrix Rollins Rowland Whitney Duke Odom Daugherty
Travis Tang Archer
""")

# (Cyrillic, how it is spelt in an email address)
CYR_FIRST_MALE = [
    ("Александр", "aleksandr"), ("Алексей", "aleksey"), ("Андрей", "andrey"),
    ("Антон", "anton"), ("Артём", "artem"), ("Борис", "boris"),
    ("Вадим", "vadim"), ("Василий", "vasiliy"), ("Виктор", "viktor"),
    ("Виталий", "vitaliy"), ("Владимир", "vladimir"), ("Владислав", "vladislav"),
    ("Вячеслав", "vyacheslav"), ("Геннадий", "gennadiy"), ("Георгий", "georgiy"),
    ("Глеб", "gleb"), ("Григорий", "grigoriy"), ("Денис", "denis"),
    ("Дмитрий", "dmitriy"), ("Евгений", "evgeniy"), ("Егор", "egor"),
    ("Иван", "ivan"), ("Игорь", "igor"), ("Илья", "ilya"),
    ("Кирилл", "kirill"), ("Константин", "konstantin"), ("Леонид", "leonid"),
    ("Максим", "maksim"), ("Марк", "mark"), ("Матвей", "matvey"),
    ("Михаил", "mikhail"), ("Никита", "nikita"), ("Николай", "nikolay"),
    ("Олег", "oleg"), ("Павел", "pavel"), ("Пётр", "petr"),
    ("Роман", "roman"), ("Руслан", "ruslan"), ("Сергей", "sergey"),
    ("Станислав", "stanislav"), ("Степан", "stepan"), ("Тимофей", "timofey"),
    ("Тимур", "timur"), ("Фёдор", "fedor"), ("Эдуард", "eduard"),
    ("Юрий", "yuriy"), ("Ярослав", "yaroslav"), ("Арсений", "arseniy"),
    ("Данила", "danila"), ("Семён", "semen"), ("Ринат", "rinat"),
    ("Айдар", "aydar"), ("Рустам", "rustam"),
]  # fmt: skip
CYR_FIRST_FEMALE = [
    ("Александра", "aleksandra"), ("Алёна", "alena"), ("Алина", "alina"),
    ("Алиса", "alisa"), ("Анастасия", "anastasiya"), ("Ангелина", "angelina"),
    ("Анна", "anna"), ("Валентина", "valentina"), ("Валерия", "valeriya"),
    ("Вера", "vera"), ("Вероника", "veronika"), ("Виктория", "viktoriya"),
    ("Галина", "galina"), ("Дарья", "darya"), ("Диана", "diana"),
    ("Ева", "eva"), ("Екатерина", "ekaterina"), ("Елена", "elena"),
    ("Елизавета", "elizaveta"), ("Жанна", "zhanna"), ("Зоя", "zoya"),
    ("Ирина", "irina"), ("Карина", "karina"), ("Кира", "kira"),
    ("Ксения", "kseniya"), ("Лариса", "larisa"), ("Лидия", "lidiya"),
    ("Любовь", "lyubov"), ("Людмила", "lyudmila"), ("Маргарита", "margarita"),
    ("Марина", "marina"), ("Мария", "mariya"), ("Милана", "milana"),
    ("Надежда", "nadezhda"), ("Наталья", "natalya"), ("Нина", "nina"),
    ("Оксана", "oksana"), ("Ольга", "olga"), ("Полина", "polina"),
    ("Светлана", "svetlana"), ("София", "sofiya"), ("Таисия", "taisiya"),
    ("Тамара", "tamara"), ("Татьяна", "tatyana"), ("Ульяна", "ulyana"),
    ("Юлия", "yuliya"), ("Яна", "yana"), ("Эльвира", "elvira"),
    ("Регина", "regina"),
]  # fmt: skip
# Male forms; female ones are derived (Петров -> Петрова, Горский -> Горская).
CYR_LAST = [
    ("Иванов", "ivanov"), ("Смирнов", "smirnov"), ("Кузнецов", "kuznetsov"),
    ("Попов", "popov"), ("Васильев", "vasilev"), ("Петров", "petrov"),
    ("Соколов", "sokolov"), ("Михайлов", "mikhaylov"), ("Новиков", "novikov"),
    ("Фёдоров", "fedorov"), ("Морозов", "morozov"), ("Волков", "volkov"),
    ("Алексеев", "alekseev"), ("Лебедев", "lebedev"), ("Семёнов", "semenov"),
    ("Егоров", "egorov"), ("Павлов", "pavlov"), ("Козлов", "kozlov"),
    ("Степанов", "stepanov"), ("Николаев", "nikolaev"), ("Орлов", "orlov"),
    ("Андреев", "andreev"), ("Макаров", "makarov"), ("Никитин", "nikitin"),
    ("Захаров", "zakharov"), ("Зайцев", "zaytsev"), ("Соловьёв", "solovev"),
    ("Борисов", "borisov"), ("Яковлев", "yakovlev"), ("Григорьев", "grigorev"),
    ("Романов", "romanov"), ("Воробьёв", "vorobev"), ("Сергеев", "sergeev"),
    ("Кузьмин", "kuzmin"), ("Фролов", "frolov"), ("Александров", "aleksandrov"),
    ("Дмитриев", "dmitriev"), ("Королёв", "korolev"), ("Гусев", "gusev"),
    ("Киселёв", "kiselev"), ("Ильин", "ilin"), ("Максимов", "maksimov"),
    ("Поляков", "polyakov"), ("Сорокин", "sorokin"), ("Виноградов", "vinogradov"),
    ("Ковалёв", "kovalev"), ("Белов", "belov"), ("Медведев", "medvedev"),
    ("Антонов", "antonov"), ("Тарасов", "tarasov"), ("Жуков", "zhukov"),
    ("Баранов", "baranov"), ("Филиппов", "filippov"), ("Комаров", "komarov"),
    ("Давыдов", "davydov"), ("Беляев", "belyaev"), ("Герасимов", "gerasimov"),
    ("Богданов", "bogdanov"), ("Осипов", "osipov"), ("Сидоров", "sidorov"),
    ("Матвеев", "matveev"), ("Титов", "titov"), ("Марков", "markov"),
    ("Миронов", "mironov"), ("Крылов", "krylov"), ("Куликов", "kulikov"),
    ("Карпов", "karpov"), ("Власов", "vlasov"), ("Мельников", "melnikov"),
    ("Денисов", "denisov"), ("Гаврилов", "gavrilov"), ("Тихонов", "tikhonov"),
    ("Казаков", "kazakov"), ("Афанасьев", "afanasev"), ("Данилов", "danilov"),
    ("Савельев", "savelev"), ("Тимофеев", "timofeev"), ("Фомин", "fomin"),
    ("Чернов", "chernov"), ("Абрамов", "abramov"), ("Мартынов", "martynov"),
    ("Ефимов", "efimov"), ("Федотов", "fedotov"), ("Щербаков", "shcherbakov"),
    ("Назаров", "nazarov"), ("Калинин", "kalinin"), ("Исаев", "isaev"),
    ("Чернышёв", "chernyshev"), ("Быков", "bykov"), ("Маслов", "maslov"),
    ("Родионов", "rodionov"), ("Коновалов", "konovalov"), ("Лазарев", "lazarev"),
    ("Воронин", "voronin"), ("Климов", "klimov"), ("Филатов", "filatov"),
    ("Пономарёв", "ponomarev"), ("Голубев", "golubev"), ("Кудрявцев", "kudryavtsev"),
    ("Прохоров", "prokhorov"), ("Наумов", "naumov"), ("Потапов", "potapov"),
    ("Журавлёв", "zhuravlev"), ("Овчинников", "ovchinnikov"), ("Трофимов", "trofimov"),
    ("Леонов", "leonov"), ("Соболев", "sobolev"), ("Ермаков", "ermakov"),
    ("Колесников", "kolesnikov"), ("Гончаров", "goncharov"), ("Емельянов", "emelyanov"),
    ("Никифоров", "nikiforov"), ("Грачёв", "grachev"), ("Котов", "kotov"),
    ("Гришин", "grishin"), ("Ефремов", "efremov"), ("Архипов", "arkhipov"),
    ("Громов", "gromov"), ("Кириллов", "kirillov"), ("Малышев", "malyshev"),
    ("Панов", "panov"), ("Моисеев", "moiseev"), ("Румянцев", "rumyantsev"),
    ("Акимов", "akimov"), ("Кондратьев", "kondratev"), ("Бирюков", "biryukov"),
    ("Горбунов", "gorbunov"), ("Анисимов", "anisimov"), ("Ерёмин", "eremin"),
    ("Тихомиров", "tikhomirov"), ("Галкин", "galkin"), ("Лукьянов", "lukyanov"),
    ("Михеев", "mikheev"), ("Скворцов", "skvortsov"), ("Юдин", "yudin"),
    ("Белоусов", "belousov"), ("Нестеров", "nesterov"), ("Симонов", "simonov"),
    ("Прокофьев", "prokofev"), ("Харитонов", "kharitonov"), ("Князев", "knyazev"),
    ("Цветков", "tsvetkov"), ("Левин", "levin"), ("Митрофанов", "mitrofanov"),
    ("Воронов", "voronov"), ("Аксёнов", "aksenov"), ("Софронов", "sofronov"),
    ("Мальцев", "maltsev"), ("Логинов", "loginov"), ("Горшков", "gorshkov"),
    ("Савин", "savin"), ("Краснов", "krasnov"), ("Майоров", "mayorov"),
    ("Демидов", "demidov"), ("Елисеев", "eliseev"), ("Рыбаков", "rybakov"),
    ("Сафонов", "safonov"), ("Плотников", "plotnikov"), ("Дьячков", "dyachkov"),
    ("Горский", "gorskiy"), ("Вишневский", "vishnevskiy"), ("Ковальский", "kovalskiy"),
    ("Соколовский", "sokolovskiy"), ("Высоцкий", "vysotskiy"), ("Белецкий", "beletskiy"),
    ("Шевченко", "shevchenko"), ("Бондаренко", "bondarenko"), ("Коваленко", "kovalenko"),
    ("Ткаченко", "tkachenko"), ("Кравченко", "kravchenko"), ("Ким", "kim"),
    ("Цой", "tsoy"), ("Пак", "pak"), ("Ахмедов", "akhmedov"),
    ("Алиев", "aliev"), ("Гарипов", "garipov"), ("Хабибуллин", "khabibullin"),
    ("Сафин", "safin"),
]  # fmt: skip
CYR_MIDDLE_MALE = _words("""
Александрович Алексеевич Андреевич Викторович Владимирович Дмитриевич Евгеньевич Иванович
Игоревич Михайлович Николаевич Олегович Павлович Петрович Сергеевич Юрьевич Анатольевич
Борисович Валерьевич Геннадьевич
""")
CYR_MIDDLE_FEMALE = _words("""
Александровна Алексеевна Андреевна Викторовна Владимировна Дмитриевна Евгеньевна Ивановна
Игоревна Михайловна Николаевна Олеговна Павловна Петровна Сергеевна Юрьевна Анатольевна
Борисовна Валерьевна Геннадьевна
""")
# Mongolian: given name, clan/patronymic (as the tests' "Bat-Erdene Ganbaatar").
MN_FIRST = _words("""
Bat-Erdene Batbayar Ganbold Erdene Tsetseg Oyunchimeg Bolormaa Enkhjargal Munkhbat
Altantsetseg Temuulen Nomin Anar Sukhbaatar Khulan Otgonbayar Narantuya Batsaikhan Tuvshin
Delger
""")
MN_LAST = _words("""
Ganbaatar Batbold Dorj Tserendorj Bold Enkhbayar Purevdorj Sukhbat Altangerel Davaasuren
Gantulga Jargal Lkhagva Munkh-Erdene Nyamdorj Otgon Sainbayar Tumur Erdenebat Baatar
""")

COMPANY_ROOTS = _words("""
Acme Globex Initech Umbrella Stark Wayne Vertex Nimbus Orbit Zenith Apex Summit Pioneer
Horizon Quantum Nova Atlas Titan Falcon Eagle Crescent Harbor Maple Oak Cedar Pine Silver
Golden Blue Green Red North South East West Central Metro Urban Prime Alpha Beta Delta Sigma
Omega Vector Matrix Nexus Fusion Spark Bright Clear Swift Rapid Solid Core Pacific Atlantic
Arctic Sierra Canyon River Lake Ocean Bay Coast Ridge Valley Meadow Stone Iron Steel Copper
Cobalt Granite Crystal Diamond Emerald Sapphire Ruby Onyx Jade Amber Phoenix Griffin Dragon
Lion Tiger Wolf Bear Hawk Raven Fox Lynx Orca Bison Mustang Stallion Keystone Landmark
Beacon Lighthouse Compass Anchor Bridge Gateway Pinnacle Crown Empire Liberty Freedom
Victory Unity Harmony Trinity Legacy Heritage Frontier Venture Quest Ascent Evergreen
Sunrise Sunset Moonlight Starlight Skyline Cloud Rain Thunder Storm Breeze Wind Blackwood
Redwood Whitfield Greenfield Brookfield Fairview Lakeside Riverside Hillside
""")
COMPANY_KINDS = _words("""
Logistics Foods Systems Consulting Motors Media Labs Trading Holdings Solutions Software
Analytics Energy Power Capital Partners Ventures Industries Manufacturing Supply Retail
Health Pharma Medical Dental Insurance Finance Realty Properties Construction Engineering
Design Studio Marketing Digital Networks Telecom Security Travel Tours Hotels Farms Dairy
Bakery Coffee Brewing Textiles Fashion Furniture Electronics Robotics Aviation Shipping
Freight Transport Auto Tires Plastics Chemicals Metals Mining Oil Gas Water
""")
COMPANY_FORMS = ["LLC", "Inc", "Ltd", "GmbH", "Group", "Co", "Corp", "", "", ""]
CYR_COMPANY_ROOTS = [
    ("Ромашка", "romashka"), ("Вектор", "vektor"), ("Альфа", "alfa"),
    ("Сибирь", "sibir"), ("Восток", "vostok"), ("Запад", "zapad"),
    ("Север", "sever"), ("Юг", "yug"), ("Урал", "ural"),
    ("Волга", "volga"), ("Байкал", "baykal"), ("Алтай", "altay"),
    ("Кристалл", "kristall"), ("Гранит", "granit"), ("Меридиан", "meridian"),
    ("Горизонт", "gorizont"), ("Прогресс", "progress"), ("Импульс", "impuls"),
    ("Стандарт", "standart"), ("Партнёр", "partner"), ("Лидер", "lider"),
    ("Феникс", "feniks"), ("Атлант", "atlant"), ("Орион", "orion"),
    ("Сфера", "sfera"), ("Спектр", "spektr"), ("Эталон", "etalon"),
    ("Гарант", "garant"), ("Престиж", "prestizh"), ("Триумф", "triumf"),
    ("Фаворит", "favorit"), ("Олимп", "olimp"), ("Монолит", "monolit"),
    ("Континент", "kontinent"), ("Магистраль", "magistral"), ("Терминал", "terminal"),
    ("Берёзка", "berezka"), ("Рассвет", "rassvet"), ("Заря", "zarya"),
    ("Звезда", "zvezda"), ("Надежда", "nadezhda"), ("Энергия", "energiya"),
    ("Династия", "dinastiya"), ("Империя", "imperiya"), ("Держава", "derzhava"),
    ("Сокол", "sokol"), ("Беркут", "berkut"), ("Медведь", "medved"),
    ("Тайга", "tayga"), ("Нева", "neva"), ("Кама", "kama"),
    ("Ока", "oka"), ("Дон", "don"), ("Енисей", "enisey"),
    ("Амур", "amur"), ("Лотос", "lotos"), ("Янтарь", "yantar"),
    ("Малахит", "malakhit"), ("Самоцвет", "samotsvet"), ("Радуга", "raduga"),
    ("Парус", "parus"), ("Маяк", "mayak"), ("Компас", "kompas"),
    ("Якорь", "yakor"), ("Пульс", "puls"), ("Ритм", "ritm"),
]  # fmt: skip
CYR_COMPANY_KINDS = [
    ("Логистик", "logistik"), ("Трейд", "treyd"), ("Строй", "stroy"),
    ("Сервис", "servis"), ("Групп", "grupp"), ("Инвест", "invest"),
    ("Транс", "trans"), ("Пром", "prom"), ("Маркет", "market"),
    ("Агро", "agro"), ("Мед", "med"), ("Тех", "tekh"),
    ("Софт", "soft"), ("Энерго", "energo"), ("Снаб", "snab"),
    ("Консалт", "konsalt"), ("Девелопмент", "development"), ("Фуд", "food"),
    ("Моторс", "motors"), ("Плюс", "plus"), ("", ""),
    ("", ""), ("", ""),
]  # fmt: skip
CYR_COMPANY_FORMS = ["ООО", "ООО", "ООО", "АО", "ПАО", "ИП", "ЗАО"]

# "" for contacts with no position
POSITIONS = [
    "Director", "CEO", "CFO", "Head of Sales", "Sales Manager",
    "Account Manager", "Buyer", "Procurement Manager", "Marketing Manager", "Office Manager",
    "Chief Accountant", "Accountant", "Lawyer", "Engineer", "Project Manager",
    "Product Manager", "Owner", "Founder", "Assistant", "HR Manager",
    "Генеральный директор", "Директор", "Коммерческий директор", "Главный бухгалтер", "Бухгалтер",
    "Менеджер по закупкам", "Менеджер по продажам", "Руководитель отдела", "Снабженец", "Юрист",
    "Инженер", "Администратор", "Владелец", "Маркетолог", "",
]  # fmt: skip

# (tag, share of contacts that carry it)
TAGS = [
    ("newsletter", 0.3), ("lead", 0.2), ("b2b", 0.18), ("b2c", 0.12),
    ("warm", 0.1), ("cold", 0.08), ("retail", 0.06), ("wholesale", 0.05),
    ("partner", 0.04), ("referral", 0.03), ("webinar", 0.03), ("event-2024", 0.02),
    ("vip", 0.02), ("churn-risk", 0.01), ("hot", 0.01),
]  # fmt: skip
SOURCES = ["website", "referral", "cold call", "exhibition", "import", "ads", "social", ""]
MAIL_DOMAINS = [
    "gmail.com", "mail.ru", "yandex.ru", "outlook.com", "icloud.com",
    "bk.ru", "inbox.ru", "yahoo.com", "rambler.ru", "proton.me",
]  # fmt: skip
